/**
 * Browser entry of the scorer check in `browsers-everywhere.test.ts` (bundled with esbuild by that
 * test and imported into the demo page it already opens): loads a served model directory with
 * `@vae/runtime-web` and runs `VaeModel.logLikelihood`, i.e. the model's `scorer.onnx` on the page's
 * onnxruntime-web. Reports the warnings the library logged, so a scorer that fell back to the
 * JavaScript estimator is visible.
 */
import { setLogSink, type DeviceRequest } from '@vae/core';
import { configureWebRuntime, loadModel } from '@vae/runtime-web';

/** Arguments of {@link ScorerPageApi.logLikelihood} (plain JSON values). */
export interface ScorerCall {
  /** Model directory URL, relative to the page. */
  readonly model: string;
  /** onnxruntime-web's `.wasm` (of the WebGPU build `@vae/runtime-web` imports), relative to the page. */
  readonly ortWasm: string;
  readonly device: DeviceRequest;
  readonly x: number[];
  readonly shape: number[];
  readonly samples: number;
  readonly seed: number;
  readonly chunkSize: number;
}

/** Result of {@link ScorerPageApi.logLikelihood}. */
export interface ScorerReply {
  readonly logPx: number[];
  readonly device: string;
  /** Scorer golden rows checked on first use: `output pass`. */
  readonly scorerChecks: string[];
  /** Warnings the library logged during the load and the call. */
  readonly warnings: string[];
}

/** `window.__vaeScorer`. */
export interface ScorerPageApi {
  logLikelihood(c: ScorerCall): Promise<ScorerReply>;
}

declare global {
  interface Window {
    __vaeScorer?: ScorerPageApi;
  }
}

const warnings: string[] = [];
setLogSink((level, scope, message) => {
  if (level === 'warn' || level === 'error') warnings.push(`${scope}: ${message}`);
});
let configured = false;

window.__vaeScorer = {
  async logLikelihood(c) {
    if (!configured)
      configureWebRuntime({ wasmPaths: { wasm: new URL(c.ortWasm, location.href).href }, numThreads: 1 });
    configured = true;
    warnings.length = 0;
    const model = await loadModel(new URL(c.model, location.href).href, { device: c.device, verify: true });
    try {
      const x = { data: Float32Array.from(c.x), shape: c.shape };
      const logPx = await model.logLikelihood(x, { samples: c.samples, seed: c.seed, chunkSize: c.chunkSize });
      return {
        logPx: Array.from(logPx),
        device: model.device,
        scorerChecks: model.verification.outputs
          .filter((o) => o.graph === 'scorer')
          .map((o) => `${o.output} ${o.pass ? 'pass' : 'fail'}`),
        warnings: [...warnings],
      };
    } finally {
      await model.release();
    }
  },
};
