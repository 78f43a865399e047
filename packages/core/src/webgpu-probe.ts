/**
 * WebGPU availability, one result shape for every probe: the browser's and Dawn's `navigator.gpu`
 * (here) and the out-of-process Dawn probe of `@vae/device-node`.
 */
export type WebGpuProbe =
  | {
      readonly available: true;
      /** Adapter vendor / architecture / description as reported (`unknown adapter` when all are empty). */
      readonly adapter: string;
      /**
       * A software rasterizer (SwiftShader, lavapipe/llvmpipe, WARP, or a declared fallback
       * adapter): correct but usually slower than the CPU or WASM paths, so `auto` skips it.
       */
      readonly software: boolean;
    }
  | { readonly available: false; readonly reason: string };

/** Names of software WebGPU adapters and Vulkan drivers (CPU rasterizers). */
export const SOFTWARE_GPU_PATTERN = /swiftshader|llvmpipe|lavapipe|lvp_icd|warp/i;

/** What a WebGPU adapter reports about itself (the fields the probes read). */
export interface AdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}

/** The slice of the WebGPU API the probe needs (lib.dom of TypeScript 5.9 has no WebGPU types). */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<AdapterLike | null>;
}

/** The slice of `GPUAdapter` the probe reads. */
export interface AdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: AdapterInfoLike;
}

/** The available-probe result for an adapter that reported `info` (`fallback`: its `isFallbackAdapter`). */
export function describeAdapter(info: AdapterInfoLike, fallback = false): WebGpuProbe & { available: true } {
  const label = [info.vendor, info.architecture, info.description]
    .filter((s) => typeof s === 'string' && s.length > 0)
    .join(' / ');
  const software = fallback || info.isFallbackAdapter === true || SOFTWARE_GPU_PATTERN.test(label);
  return { available: true, adapter: label || 'unknown adapter', software };
}

/** The `navigator.gpu` object of this realm, if any. */
export function navigatorGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu ?? undefined;
}

/**
 * Checks whether WebGPU can be used here: `navigator.gpu` exists and yields an adapter. Never
 * throws; the reason says what is missing and how to get it.
 */
export async function probeWebGpu(gpu: GpuLike | undefined = navigatorGpu()): Promise<WebGpuProbe> {
  if (!gpu) {
    return {
      available: false,
      reason:
        'navigator.gpu is undefined (a browser without WebGPU, a non-secure context, or Node without setupNodeWebGpu() from @vae/runtime-web/node)',
    };
  }
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return {
      available: false,
      reason: `navigator.gpu.requestAdapter() failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (!adapter) {
    return {
      available: false,
      reason:
        'navigator.gpu.requestAdapter() returned null: no WebGPU adapter (no GPU driver; in Chromium pass --enable-unsafe-webgpu, in Node a Vulkan loader and ICD are needed)',
    };
  }
  return describeAdapter(adapter.info ?? {}, adapter.isFallbackAdapter === true);
}
