import { assertDeviceRequest, type DeviceRequest } from '@vae/core';
import { canvasStats, type CanvasStats } from './draw.js';
import type { RemoteModel } from './remote-model.js';
import type { WorkerModelInfo } from './worker-protocol.js';

/** What the page loaded (from the worker). */
export type DemoInfo = WorkerModelInfo;

/** Result of {@link VaeDemoHook.decode}. */
export interface DecodeReply {
  readonly device: string;
  readonly shape: readonly number[];
  readonly logits: number[];
  readonly mean: number[];
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
  /** {@link DemoInfo} of the model on `device` (loaded in the worker on first use; default: the page's). */
  info(device?: DeviceRequest): Promise<DemoInfo>;
  /** Decodes `rows` latent rows (`z` flat, row-major) in the worker on `device`. */
  decode(z: readonly number[], rows: number, device?: DeviceRequest): Promise<DecodeReply>;
  /** Decoder latency on `device`: `reps` timed runs in the worker on a fixed batch of prior draws. */
  benchmark(o: BenchmarkOptions): Promise<BenchmarkReply>;
  /** Statistics of every image canvas (blank canvases have std 0). */
  canvases(): CanvasStats[];
  /** Worker calls sent per operation, and calls superseded (coalesced away) before they ran. */
  calls(): { sent: Record<string, number>; superseded: number };
}

declare global {
  interface Window {
    __vaeDemo?: VaeDemoHook;
  }
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Builds the hook; `modelOn(device)` loads (once) the page's model on a device in the worker. */
export function createHook(o: {
  readonly device: DeviceRequest;
  readonly ready: Promise<DemoInfo>;
  readonly modelOn: (device: DeviceRequest) => Promise<RemoteModel>;
  readonly calls: () => { sent: Record<string, number>; superseded: number };
}): VaeDemoHook {
  const get = (device: DeviceRequest = o.device): Promise<RemoteModel> => {
    assertDeviceRequest(device, 'device');
    return o.modelOn(device);
  };
  return {
    ready: o.ready,
    info: async (device) => (await get(device)).info,
    decode: async (z, rows, device) => {
      const model = await get(device);
      const out = await model.decode({ data: Float32Array.from(z), shape: [rows, model.latentDim] });
      if (!out) throw new Error('decode: superseded (unexpected without a channel)');
      return {
        device: model.info.device,
        shape: out.mean.shape,
        logits: Array.from(out.logits.data),
        mean: Array.from(out.mean.data),
      };
    },
    benchmark: async ({ device, batch, reps, warmup = 3, seed = 0 }) => {
      const model = await get(device);
      const times = await model.benchmark({ batch, reps, warmup, seed });
      return {
        device: model.info.device,
        batch,
        reps,
        warmup,
        medianMs: median(times),
        meanMs: times.reduce((a, b) => a + b, 0) / times.length,
        minMs: Math.min(...times),
        maxMs: Math.max(...times),
      };
    },
    canvases: () => Array.from(document.querySelectorAll<HTMLCanvasElement>('canvas[data-grid]'), canvasStats),
    calls: o.calls,
  };
}
