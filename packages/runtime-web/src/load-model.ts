import { VaeModel, type VaeModelLoadOptions } from '@vae/core';
import { onnxruntimeWebBackend, registerWebBackend } from './browser-backend.js';
import { fetchFileSource, type FetchFileSourceOptions } from './fetch-file-source.js';

/** Options of {@link loadModel}. */
export interface WebLoadOptions extends VaeModelLoadOptions {
  /** Passed to {@link fetchFileSource}. */
  readonly fetch?: FetchFileSourceOptions;
}

/**
 * Registers the web backend and loads the model directory served at `baseUrl` (manifest,
 * checksums, encoder and decoder sessions, and by default for `device: 'auto'` the golden check,
 * falling back from webgpu to wasm when it fails: `model.verification`). Sessions use
 * onnxruntime-web unless `backends` is given.
 */
export async function loadModel(baseUrl: string, options: WebLoadOptions = {}): Promise<VaeModel> {
  registerWebBackend();
  const { fetch: fetchOptions, ...load } = options;
  const source = fetchFileSource(baseUrl, fetchOptions);
  return VaeModel.load(source, { ...load, backends: load.backends ?? [onnxruntimeWebBackend] });
}

/** {@link loadModel} with `parts: ['decoder']`: fetches `manifest.json`, `decoder.onnx` and the golden file only. */
export async function loadDecoder(baseUrl: string, options: Omit<WebLoadOptions, 'parts'> = {}): Promise<VaeModel> {
  return loadModel(baseUrl, { ...options, parts: ['decoder'] });
}
