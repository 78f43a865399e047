import { Rng, assertDeviceRequest, samplePrior, type DeviceRequest, type Tensor } from '@vae/core';
import type { DemoModels, LoadedModel } from './demo-models.js';
import { canvasStats, type CanvasStats } from './draw.js';
import { runtimeDownloads, totalBytes, type Download } from './downloads.js';

/** What the page loaded, for the status line and for tests. */
export interface DemoInfo {
  readonly model: string;
  readonly kind: string;
  readonly precision: string;
  readonly latentDim: number;
  readonly numClasses: number;
  readonly requested: DeviceRequest;
  readonly device: string;
  readonly backend: string;
  readonly fallbacks: readonly { readonly device: string; readonly reason: string }[];
  readonly loadMs: number;
  /** Bytes of each model file as downloaded. */
  readonly modelBytes: Readonly<Record<string, number>>;
  /** onnxruntime-web files fetched so far and their total (`encodedBodySize`). */
  readonly runtime: readonly Download[];
  readonly runtimeBytes: number;
}

/** Result of {@link VaeDemoHook.decode}. */
export interface DecodeReply {
  readonly device: string;
  readonly shape: readonly number[];
  readonly logits: number[];
  readonly mean: number[];
  readonly ms: number;
}

/** Options and result of {@link VaeDemoHook.benchmark}. */
export interface BenchmarkOptions {
  readonly device: DeviceRequest;
  readonly batch: number;
  readonly reps: number;
  /** Untimed runs first (default 3). */
  readonly warmup?: number;
  /** Seed of the prior draws decoded (default 0). */
  readonly seed?: number;
}
export interface BenchmarkReply {
  readonly device: string;
  readonly batch: number;
  readonly reps: number;
  readonly warmup: number;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

/** The hook the page exposes as `window.__vaeDemo` (used by the real-browser tests). */
export interface VaeDemoHook {
  /** Resolves once the model is loaded and every panel is drawn. */
  readonly ready: Promise<DemoInfo>;
  /** {@link DemoInfo} of the model on `device` (loaded on first use; default: the page's device). */
  info(device?: DeviceRequest): Promise<DemoInfo>;
  /** Decodes `rows` latent rows (`z` flat, row-major) on `device`. */
  decode(z: readonly number[], rows: number, device?: DeviceRequest): Promise<DecodeReply>;
  /** Decoder latency on `device`: `reps` timed runs on a fixed batch of prior draws. */
  benchmark(o: BenchmarkOptions): Promise<BenchmarkReply>;
  /** Redraws every panel with the model on `device` and returns the canvases' statistics. */
  render(device: DeviceRequest): Promise<CanvasStats[]>;
  /** Statistics of every demo canvas (blank canvases have std 0). */
  canvases(): CanvasStats[];
}

declare global {
  interface Window {
    __vaeDemo?: VaeDemoHook;
  }
}

/** {@link DemoInfo} of a loaded model. */
export function describe(name: string, loaded: LoadedModel): DemoInfo {
  const { model, source } = loaded;
  const runtime = runtimeDownloads();
  return {
    model: name,
    kind: model.manifest.kind,
    precision: model.manifest.precision,
    latentDim: model.latentDim,
    numClasses: model.numClasses,
    requested: loaded.requested,
    device: model.device,
    backend: model.backend,
    fallbacks: model.fallbacks.map((f) => ({ device: f.device, reason: f.reason })),
    loadMs: loaded.loadMs,
    modelBytes: Object.fromEntries(source.bytesRead),
    runtime,
    runtimeBytes: totalBytes(runtime),
  };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Builds the hook over the page's models; `render` redraws the panels with a given model. */
export function createHook(o: {
  readonly name: string;
  readonly device: DeviceRequest;
  readonly models: DemoModels;
  readonly ready: Promise<DemoInfo>;
  readonly render: (loaded: LoadedModel) => Promise<void>;
}): VaeDemoHook {
  const get = (device: DeviceRequest = o.device): Promise<LoadedModel> => {
    assertDeviceRequest(device, 'device');
    return o.models.get(device);
  };
  const canvases = (): CanvasStats[] =>
    Array.from(document.querySelectorAll<HTMLCanvasElement>('canvas[data-grid]'), canvasStats);
  return {
    ready: o.ready,
    info: async (device) => describe(o.name, await get(device)),
    decode: async (z, rows, device) => {
      const { model } = await get(device);
      const t: Tensor = { data: Float32Array.from(z), shape: [rows, model.latentDim] };
      const t0 = performance.now();
      const out = await model.decode(t);
      const ms = performance.now() - t0;
      return {
        device: model.device,
        shape: out.mean.shape,
        logits: Array.from(out.logits.data),
        mean: Array.from(out.mean.data),
        ms,
      };
    },
    benchmark: async ({ device, batch, reps, warmup = 3, seed = 0 }) => {
      const { model } = await get(device);
      const z = samplePrior(new Rng(seed), batch, model.latentDim);
      for (let i = 0; i < warmup; i++) await model.decode(z);
      const times: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        await model.decode(z);
        times.push(performance.now() - t0);
      }
      return {
        device: model.device,
        batch,
        reps,
        warmup,
        medianMs: median(times),
        meanMs: times.reduce((a, b) => a + b, 0) / times.length,
        minMs: Math.min(...times),
        maxMs: Math.max(...times),
      };
    },
    render: async (device) => {
      await o.render(await get(device));
      return canvases();
    },
    canvases,
  };
}
