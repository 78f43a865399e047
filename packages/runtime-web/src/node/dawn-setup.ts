import { existsSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { getLogger } from '@vae/core';

const log = getLogger('runtime-web:node');

/** Vulkan ICD of SwiftShader shipped by Debian's `chromium` package (WebGPU without a GPU). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Folder of Debian's `chromium` package, which also ships a Vulkan loader (`libvulkan.so.1`). */
export const CHROMIUM_LIB_DIR = '/usr/lib/chromium';

const VULKAN_LOADER = 'libvulkan.so.1';
const SYSTEM_LIB_DIRS = Object.freeze(['/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib']);

/** Options of {@link setupNodeWebGpu}. */
export interface NodeWebGpuOptions {
  /** Vulkan ICD JSON for `VK_ICD_FILENAMES` when unset (default {@link SWIFTSHADER_ICD} if present). */
  readonly vulkanIcd?: string;
  /** Dawn toggles passed to `create()` of npm `webgpu`, e.g. `['enable-dawn-features=…']`. */
  readonly dawnFlags?: readonly string[];
}

/** What {@link setupNodeWebGpu} installed. */
export interface NodeWebGpuSetup {
  /** `VK_ICD_FILENAMES` in effect (undefined: the loader's default drivers). */
  readonly vulkanIcd: string | undefined;
  /** Path of the Vulkan loader Dawn can open, or null when none was found on the library path. */
  readonly vulkanLoader: string | null;
}

/** Where the dynamic linker would find `libvulkan.so.1` (LD_LIBRARY_PATH first), or null. */
export function findVulkanLoader(env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((d) => d.length > 0), ...SYSTEM_LIB_DIRS];
  for (const dir of dirs) {
    const path = join(dir, VULKAN_LOADER);
    if (existsSync(path)) return path;
  }
  return null;
}

/** glibc's `RTLD_NODELETE`: the library stays mapped when Node's `dlopen` then rejects it as no addon. */
const RTLD_NODELETE = 0x1000;

/** Whether a shared object at `path` is mapped into this process (Linux). */
function isMapped(path: string): boolean {
  try {
    return readFileSync('/proc/self/maps', 'utf8').includes(path);
  } catch {
    return false;
  }
}

/**
 * Loads the Vulkan loader at `path` (e.g. Chromium's) into this process, so that Dawn's later
 * `dlopen("libvulkan.so.1")` resolves to it by soname. Linux/glibc only; returns whether it is mapped.
 */
export function preloadVulkanLoader(path: string): boolean {
  if (process.platform !== 'linux' || !existsSync(path)) return false;
  const { RTLD_NOW, RTLD_GLOBAL } = constants.dlopen as { RTLD_NOW: number; RTLD_GLOBAL: number };
  try {
    process.dlopen({ exports: {} }, path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
  } catch {
    // Expected: Node reports "Module did not self-register" (it is not an addon); the library stays loaded.
  }
  return isMapped(path);
}

/** How to make a Vulkan loader available, for error messages. */
export function vulkanLoaderHint(): string {
  return `Dawn needs the Vulkan loader ${VULKAN_LOADER}: install Debian's libvulkan1, or chromium (its copy in ${CHROMIUM_LIB_DIR} is preloaded when the system has none)`;
}

let done: Promise<NodeWebGpuSetup> | undefined;

/**
 * Keeps V8 on its baseline WebAssembly compiler (`--liftoff-only`). Measured here with
 * onnxruntime-web 1.30 in Node 20: the first WebGPU run of any graph spent 32–47 s of CPU in V8
 * optimizing (TurboFan) functions of the asyncify build; with Liftoff only, a one-Sigmoid graph's
 * first run took 55 ms (34 s before) and an 8→64→784 MLP's 1.7 s (37 s before), and WASM-EP runs
 * were not slower. Must run before the first onnxruntime-web session is created.
 */
export function useBaselineWasmCompiler(): void {
  setFlagsFromString('--liftoff-only');
}

interface DawnQueue {
  writeBuffer(buffer: unknown, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
}

const PATCHED = Symbol.for('vae.runtime-web.writeBufferCopiesShared');

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
    const shared = typeof SharedArrayBuffer !== 'undefined' && ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer;
    const view = shared ? (data as Uint8Array).slice() : data;
    const rest = dataOffset === undefined ? [] : size === undefined ? [dataOffset] : [dataOffset, size];
    return (original as (...args: unknown[]) => void).call(this, buffer, offset, view, ...rest);
  };
  Object.defineProperty(proto, PATCHED, { value: true });
}

async function install(o: NodeWebGpuOptions): Promise<NodeWebGpuSetup> {
  if (!process.env.VK_ICD_FILENAMES) {
    const icd = o.vulkanIcd ?? (existsSync(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : undefined);
    if (icd !== undefined) process.env.VK_ICD_FILENAMES = icd;
  }
  // Dawn logs an error on every adapter request when XDG_RUNTIME_DIR is unset.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = tmpdir();
  useBaselineWasmCompiler();
  let vulkanLoader = findVulkanLoader();
  if (vulkanLoader === null) {
    const chromium = join(CHROMIUM_LIB_DIR, VULKAN_LOADER);
    if (preloadVulkanLoader(chromium)) vulkanLoader = chromium;
  }
  const webgpu = (await import('webgpu').catch((err: unknown) => {
    throw new Error(`WebGPU in Node needs the optional peer dependency 'webgpu' (Dawn): npm install webgpu@^0.6.2 (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  })) as { create(flags: string[]): unknown; globals: Record<string, unknown> };
  for (const [key, value] of Object.entries(webgpu.globals)) {
    if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
  }
  patchWriteBuffer(webgpu.globals.GPUQueue as { prototype: DawnQueue } | undefined);
  const gpu = webgpu.create([...(o.dawnFlags ?? [])]);
  const g = globalThis as { navigator?: object };
  if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  const setup = { vulkanIcd: process.env.VK_ICD_FILENAMES, vulkanLoader };
  log.debug(`WebGPU via Dawn (VK_ICD_FILENAMES=${setup.vulkanIcd ?? 'unset'}, loader ${setup.vulkanLoader ?? 'not found'})`);
  return setup;
}

/**
 * Makes WebGPU available to onnxruntime-web in Node through Dawn (npm `webgpu`): installs its
 * globals and `navigator.gpu`, works around dawn.node's SharedArrayBuffer `writeBuffer` bug, points
 * `VK_ICD_FILENAMES` at SwiftShader when unset, preloads Chromium's Vulkan loader when the system
 * has none (Debian's libvulkan1 missing), and switches V8 to {@link useBaselineWasmCompiler}.
 * Idempotent; call before the first onnxruntime-web session.
 */
export function setupNodeWebGpu(options: NodeWebGpuOptions = {}): Promise<NodeWebGpuSetup> {
  done ??= install(options).catch((err: unknown) => {
    done = undefined;
    throw err;
  });
  return done;
}
