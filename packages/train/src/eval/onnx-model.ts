import { VaeModel, memoryFileSource, type DeviceRequest, type ModelSpec, type ParameterSet } from '@vae/core';
import { buildModelFiles } from '@vae/onnx';
import { onnxruntimeNodeBackend } from '@vae/runtime-node';

/**
 * A model's graphs (encoder, decoder and, for variational kinds, the scorer) built in memory from
 * `spec` and `params` and loaded on onnxruntime-node exactly as an exported model directory loads:
 * what `vae eval` and the run plots compute with (no TensorFlow.js, no files).
 */
export async function loadOnnxModel(
  spec: ModelSpec,
  params: ParameterSet,
  o: { readonly device: DeviceRequest; readonly location: string; readonly threads?: number },
): Promise<VaeModel> {
  const provenance = {
    dataset: 'checkpoint',
    epochs: 0,
    seed: 0,
    valElbo: null,
    engine: 'none',
    backend: 'none',
    commit: null,
  };
  const { files } = await buildModelFiles({ spec, params, provenance, precision: 'fp32', name: 'checkpoint' });
  return VaeModel.load(memoryFileSource(files, o.location), {
    device: o.device,
    backends: [onnxruntimeNodeBackend],
    ...(o.threads ? { threads: o.threads } : {}),
  });
}
