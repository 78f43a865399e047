import { WEB_RUNTIME_INFO, applyWebRuntimeConfig } from '@vae/runtime-web/backend';
import { type ProgressSink, cachedBytes } from './cached-fetch.js';
import type { SiteManifest } from './site-types.js';
import type { FileLoad } from './worker-protocol.js';

/** An onnxruntime-web device of the pages (a key of `WEB_RUNTIME_INFO.deviceInfo`, the one device list). */
export type WebDevice = keyof typeof WEB_RUNTIME_INFO.deviceInfo;

/**
 * The onnxruntime-web build of each device (the CPU-only build for wasm, the WebGPU build for
 * webgpu, imported only when asked for); a device of `WEB_RUNTIME_INFO` without one fails the typecheck.
 */
const ORT_BUILDS = {
  webgpu: () => import('onnxruntime-web/webgpu'),
  wasm: () => import('onnxruntime-web/wasm'),
} as const satisfies Record<WebDevice, () => Promise<unknown>>;

/** An imported onnxruntime-web build. */
export type OrtBuild = Awaited<ReturnType<(typeof ORT_BUILDS)[WebDevice]>>;

/**
 * Imports the onnxruntime-web build for `device` with its `.wasm` from the site (through the Cache
 * API, passed as `wasmBinary`), one thread, no proxy worker. Throws a RangeError naming the devices
 * that have a build when `device` has none.
 */
export async function loadOrtBuild(
  site: SiteManifest,
  base: URL,
  device: string,
  onProgress: ProgressSink,
): Promise<{ ort: OrtBuild; load: FileLoad }> {
  if (!Object.hasOwn(ORT_BUILDS, device))
    throw new RangeError(`device: expected one of ${Object.keys(ORT_BUILDS).join('|')}, got ${JSON.stringify(device)}`);
  const d = device as WebDevice;
  const [ort, wasm] = await Promise.all([ORT_BUILDS[d](), cachedBytes(base, site.runtime[d], onProgress)]);
  applyWebRuntimeConfig(ort, { numThreads: 1, proxy: false });
  ort.env.wasm.wasmBinary = wasm.bytes;
  return { ort, load: wasm.load };
}
