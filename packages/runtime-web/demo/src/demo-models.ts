import { VaeModel, type DeviceRequest } from '@vae/core';
import { fetchFileSource, onnxruntimeWebBackend, type FetchFileSource } from '../../src/index.js';

/** A model loaded for the demo on one requested device. */
export interface LoadedModel {
  readonly model: VaeModel;
  readonly source: FetchFileSource;
  readonly requested: DeviceRequest;
  /** Milliseconds from the first byte requested to both sessions created. */
  readonly loadMs: number;
}

/** The demo's model directory, loaded at most once per requested device. */
export class DemoModels {
  private readonly cache = new Map<DeviceRequest, Promise<LoadedModel>>();

  constructor(readonly baseUrl: string) {}

  /** The model on `device` (loading it on first use; a failed load is retried next time). */
  get(device: DeviceRequest): Promise<LoadedModel> {
    let loaded = this.cache.get(device);
    if (!loaded) {
      loaded = this.load(device);
      loaded.catch(() => this.cache.delete(device));
      this.cache.set(device, loaded);
    }
    return loaded;
  }

  private async load(device: DeviceRequest): Promise<LoadedModel> {
    const source = fetchFileSource(this.baseUrl, { init: { cache: 'no-store' } });
    const t0 = performance.now();
    const model = await VaeModel.load(source, { device, backends: [onnxruntimeWebBackend] });
    return { model, source, requested: device, loadMs: performance.now() - t0 };
  }
}
