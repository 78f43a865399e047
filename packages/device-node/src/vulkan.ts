import { existsSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SOFTWARE_GPU_PATTERN } from '@vae/core';

/** Vulkan ICD of SwiftShader shipped by Debian's `chromium` package (WebGPU without a GPU). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Folder of Debian's `chromium` package, which also ships a Vulkan loader (`libvulkan.so.1`). */
export const CHROMIUM_LIB_DIR = '/usr/lib/chromium';

/** File name of the Vulkan loader Dawn and onnxruntime's WebGPU EP open. */
export const VULKAN_LOADER = 'libvulkan.so.1';

const SYSTEM_LIB_DIRS = Object.freeze([
  '/usr/lib/x86_64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib64',
  '/lib',
]);

/** How to get a Vulkan driver when WebGPU finds no adapter, for error messages. */
export const VULKAN_DRIVER_HINT = `install a Vulkan driver, or use the SwiftShader ICD of Debian's chromium package: VK_ICD_FILENAMES=${SWIFTSHADER_ICD} (correct but slow)`;

/** Where the dynamic linker would find `libvulkan.so.1` (LD_LIBRARY_PATH first), or null. */
export function findVulkanLoader(env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(delimiter).filter((d) => d.length > 0), ...SYSTEM_LIB_DIRS];
  for (const dir of dirs) {
    const path = join(dir, VULKAN_LOADER);
    if (existsSync(path)) return path;
  }
  return null;
}

/** Chromium's copy of the Vulkan loader, when Debian's chromium package is installed; else null. */
export function chromiumVulkanLoader(): string | null {
  const path = join(CHROMIUM_LIB_DIR, VULKAN_LOADER);
  return existsSync(path) ? path : null;
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

/**
 * Prepares the environment the Vulkan loader and Dawn read: points `VK_ICD_FILENAMES` at `icd`
 * (default: the SwiftShader ICD, if that file exists) when it is unset, and `XDG_RUNTIME_DIR` at the
 * temporary folder when unset (Dawn logs an error on every adapter request without it). Call it on the
 * main thread before the first WebGPU session: worker threads get a copy of the environment that
 * native code does not see. Returns the ICD in effect, if any.
 */
export function ensureVulkanIcd(env: NodeJS.ProcessEnv = process.env, icd?: string): string | undefined {
  if (!env.VK_ICD_FILENAMES) {
    const chosen = icd ?? (existsSync(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : undefined);
    if (chosen !== undefined) env.VK_ICD_FILENAMES = chosen;
  }
  if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = tmpdir();
  return env.VK_ICD_FILENAMES;
}

/**
 * Whether the Vulkan driver named by `VK_ICD_FILENAMES` is a CPU rasterizer (SwiftShader or Mesa's
 * lavapipe), on which WebGPU is correct but slower than the CPU paths.
 */
export function isSoftwareVulkan(icd: string | undefined): boolean {
  return icd !== undefined && SOFTWARE_GPU_PATTERN.test(icd);
}
