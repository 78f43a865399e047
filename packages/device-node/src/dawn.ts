import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { delimiter } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeAdapter, getLogger, type AdapterInfoLike, type WebGpuProbe } from '@vae/core';
import {
  CHROMIUM_LIB_DIR,
  chromiumVulkanLoader,
  ensureVulkanIcd,
  findVulkanLoader,
  preloadVulkanLoader,
  vulkanLoaderHint,
} from './vulkan.js';

const log = getLogger('device:dawn');

/** Options of {@link installDawnWebGpu}. */
export interface DawnOptions {
  /** Vulkan ICD JSON for `VK_ICD_FILENAMES` when unset (default: the SwiftShader ICD if present). */
  readonly vulkanIcd?: string;
  /** Dawn toggles passed to `create()` of npm `webgpu`, e.g. `['enable-dawn-features=…']`. */
  readonly dawnFlags?: readonly string[];
}

/** What {@link installDawnWebGpu} installed. */
export interface DawnSetup {
  /** `VK_ICD_FILENAMES` in effect (undefined: the loader's default drivers). */
  readonly vulkanIcd: string | undefined;
  /** Path of the Vulkan loader Dawn can open, or null when none was found on the library path. */
  readonly vulkanLoader: string | null;
}

const errorLine = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

interface DawnQueue {
  writeBuffer(
    buffer: unknown,
    offset: number,
    data: ArrayBufferView | ArrayBuffer,
    dataOffset?: number,
    size?: number,
  ): void;
}

const PATCHED = Symbol.for('vae.device-node.writeBufferCopiesShared');

/**
 * dawn.node rejects `queue.writeBuffer` views on a SharedArrayBuffer (onnxruntime-web's WASM
 * memory) with "Invalid argument": pass a copy of such views instead.
 */
function patchWriteBuffer(queueClass: { prototype: DawnQueue } | undefined): void {
  if (!queueClass) throw new Error('webgpu: expected globals.GPUQueue from npm webgpu, got none');
  const proto = queueClass.prototype as DawnQueue & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const original = proto.writeBuffer;
  proto.writeBuffer = function writeBuffer(this: DawnQueue, buffer, offset, data, dataOffset, size) {
    const shared =
      typeof SharedArrayBuffer !== 'undefined' && ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer;
    const view = shared ? (data as Uint8Array).slice() : data;
    const rest = dataOffset === undefined ? [] : size === undefined ? [dataOffset] : [dataOffset, size];
    return (original as (...args: unknown[]) => void).call(this, buffer, offset, view, ...rest);
  };
  Object.defineProperty(proto, PATCHED, { value: true });
}

async function install(o: DawnOptions): Promise<DawnSetup> {
  const vulkanIcd = ensureVulkanIcd(process.env, o.vulkanIcd);
  let vulkanLoader = findVulkanLoader();
  if (vulkanLoader === null) {
    const chromium = chromiumVulkanLoader();
    if (chromium !== null && preloadVulkanLoader(chromium)) vulkanLoader = chromium;
  }
  const webgpu = (await import('webgpu').catch((err: unknown) => {
    throw new Error(
      `WebGPU in Node needs the optional peer dependency 'webgpu' (Dawn): npm install webgpu@^0.6.2 (${errorLine(err)})`,
    );
  })) as { create(flags: string[]): unknown; globals: Record<string, unknown> };
  for (const [key, value] of Object.entries(webgpu.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  patchWriteBuffer(webgpu.globals.GPUQueue as { prototype: DawnQueue } | undefined);
  const gpu = webgpu.create([...(o.dawnFlags ?? [])]);
  const g = globalThis as { navigator?: object };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  log.debug(`WebGPU via Dawn (VK_ICD_FILENAMES=${vulkanIcd ?? 'unset'}, loader ${vulkanLoader ?? 'not found'})`);
  return { vulkanIcd, vulkanLoader };
}

let done: Promise<DawnSetup> | undefined;

/**
 * Makes WebGPU available in this Node process through Dawn (npm `webgpu`, an optional peer
 * dependency): prepares the Vulkan environment ({@link ensureVulkanIcd}), preloads Chromium's Vulkan
 * loader when the system has none, installs Dawn's globals and `navigator.gpu`, and works around
 * dawn.node's SharedArrayBuffer `writeBuffer` bug. Idempotent (the first call's options win); a
 * failed call can be retried.
 */
export function installDawnWebGpu(options: DawnOptions = {}): Promise<DawnSetup> {
  done ??= install(options).catch((err: unknown) => {
    done = undefined;
    throw err;
  });
  return done;
}

const PROBE = `
const { create, globals } = await import(process.argv[1]);
Object.assign(globalThis, globals);
const a = await create([]).requestAdapter();
const i = a ? (a.info ?? {}) : {};
const info = { vendor: i.vendor, architecture: i.architecture, description: i.description, isFallbackAdapter: i.isFallbackAdapter };
process.stdout.write(JSON.stringify(a ? { found: true, fallback: !!a.isFallbackAdapter, info } : { found: false }));
process.exit(0);
`;

/**
 * Looks for a WebGPU adapter through Dawn (npm `webgpu`) in a child process, with the environment
 * {@link installDawnWebGpu} would set up (Chromium's Vulkan loader on the library path when the
 * system has none), so that Dawn's native diagnostics — printed straight to stderr — do not reach
 * the user while `auto` is only probing. Never rejects.
 */
export function probeDawnWebGpu(timeoutMs = 20_000): Promise<WebGpuProbe> {
  let entry: string;
  try {
    entry = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (err) {
    return Promise.resolve({
      available: false,
      reason: `npm package 'webgpu' (Dawn) is not installed (${errorLine(err)})`,
    });
  }
  const env = { ...process.env };
  ensureVulkanIcd(env);
  if (findVulkanLoader(env) === null) {
    if (chromiumVulkanLoader() === null) return Promise.resolve({ available: false, reason: vulkanLoaderHint() });
    env.LD_LIBRARY_PATH = [CHROMIUM_LIB_DIR, ...(env.LD_LIBRARY_PATH ? [env.LD_LIBRARY_PATH] : [])].join(delimiter);
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', PROBE, entry],
      { env, timeout: timeoutMs },
      (err, stdout, stderr) => {
        let r: { found: boolean; fallback?: boolean; info?: AdapterInfoLike };
        try {
          r = JSON.parse(stdout) as typeof r;
        } catch {
          resolve({
            available: false,
            reason: `the WebGPU probe failed (${err ? errorLine(err) : stderr.trim().split('\n')[0] || 'no output'})`,
          });
          return;
        }
        if (r.found) {
          resolve(describeAdapter(r.info ?? {}, r.fallback === true));
          return;
        }
        const hint = stderr
          .split('\n')
          .find((l) => /error|warning/i.test(l))
          ?.trim();
        resolve({ available: false, reason: `Dawn found no WebGPU adapter${hint ? ` (${hint})` : ''}` });
      },
    );
  });
}
