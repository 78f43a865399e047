// Compiles against the shipped declarations of every package and entry point.
import { loadModel } from '@vae/runtime-node';
import { NODE_DEVICES } from '@vae/runtime-node/options';
import { configureWebRuntime, loadModel as loadWebModel, type WebLoadOptions } from '@vae/runtime-web';
import { setupNodeWebGpu } from '@vae/runtime-web/node';
import { Rng, createModelSpec, samplePrior, type ExecutionDevice, type Tensor, type VaeModel } from '@vae/core';
import { exportModel, type ExportOptions } from '@vae/onnx';
import { createVaeServer, type VaeServer } from '@vae/server';
import { SERVER_DEFAULTS } from '@vae/server/options';
import { train, type TrainResult } from '@vae/train';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '@vae/train/options';
import { runCli } from '@vae/cli';

export async function consumer(): Promise<number> {
  const model: VaeModel = await loadModel('models/mnist-vae', { device: 'cpu' });
  const z: Tensor = samplePrior(new Rng(1), 2, model.manifest.latentDim);
  const { mean } = await model.decode(z);
  const devices: readonly ExecutionDevice[] = NODE_DEVICES;
  const web: WebLoadOptions = { device: 'wasm' };
  configureWebRuntime({ wasmPaths: '/ort/' });
  const webModel: Promise<VaeModel> = loadWebModel('/models/mnist-vae/', web);
  const setup: typeof setupNodeWebGpu = setupNodeWebGpu;
  const server: VaeServer = createVaeServer({ model, batching: { enabled: SERVER_DEFAULTS.batching.enabled } });
  const spec = createModelSpec({ kind: 'vae' });
  const exportFn: (o: ExportOptions) => Promise<unknown> = exportModel;
  const config: Partial<TrainConfig> = { epochs: DEFAULT_TRAIN_CONFIG.epochs, model: { kind: spec.kind } };
  const trained: (c: Partial<TrainConfig>) => Promise<TrainResult> = (c) => train(c);
  void [webModel, setup, server, exportFn, config, trained, devices];
  return mean.data.length + (await runCli(['info']));
}
