/** What {@link probeWebGpu} found. */
export type WebGpuProbe =
  | {
      readonly available: true;
      /** Adapter vendor/architecture/description as reported (may be empty strings). */
      readonly adapter: string;
      /** True for a software adapter (SwiftShader, WARP): correct but usually slower than WASM. */
      readonly fallbackAdapter: boolean;
    }
  | { readonly available: false; readonly reason: string };

/** The slice of the WebGPU API the probe needs (lib.dom of TypeScript 5.9 has no WebGPU types). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { readonly vendor?: string; readonly architecture?: string; readonly description?: string; readonly isFallbackAdapter?: boolean };
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
    return { available: false, reason: `navigator.gpu.requestAdapter() failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!adapter) {
    return {
      available: false,
      reason:
        'navigator.gpu.requestAdapter() returned null: no WebGPU adapter (no GPU driver; in Chromium pass --enable-unsafe-webgpu, in Node a Vulkan loader and ICD are needed)',
    };
  }
  const info = adapter.info ?? {};
  const label = [info.vendor, info.architecture, info.description].filter((s) => typeof s === 'string' && s.length > 0).join(' / ');
  const fallbackAdapter = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe|warp/i.test(label);
  return { available: true, adapter: label || 'unknown adapter', fallbackAdapter };
}
