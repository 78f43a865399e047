import { getLogger, missingPackage, navigatorGpu, notInstalledMessage } from '@vae/core';
import { VULKAN_DRIVER_HINT, installDawnWebGpu, probeDawnWebGpu } from '@vae/device-node';
import { tf } from './tf.js';
import type { BackendRequest } from '../../vocabularies.js';
import type { BackendSelection, SelectBackendOptions } from '../tfjs-contract.js';

export type { BackendSelection, SelectBackendOptions };

const log = getLogger('train:backend');

/** How `selectBackend` activates one backend. */
export interface BackendLoader {
  /**
   * Makes the backend the active tfjs backend, or rejects with an Error that says why it is
   * unavailable and how to get it. `auto` is true when called from `selectBackend('auto')`.
   */
  activate(auto: boolean): Promise<void>;
}

const registry = new Map<string, BackendLoader>();

/** Registers (or replaces) a backend loader under `name`; `auto` tries them in registration order. */
export function registerTfjsBackend(name: string, loader: BackendLoader): void {
  registry.set(name, loader);
}

/** Names of the registered backends, in `auto` order. */
export function listTfjsBackends(): string[] {
  return [...registry.keys()];
}

async function switchTo(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new Error(`tf.setBackend('${name}') returned ${String(ok)} and tfjs stayed on '${tf.getBackend()}'`);
  }
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

/** Runs `load` (`import()` of a backend package, an optional peer), naming the `npm i` line when `pkg` is missing. */
async function importBackend(pkg: string, load: () => Promise<unknown>): Promise<void> {
  try {
    await load();
  } catch (err) {
    if (missingPackage(err) === pkg)
      throw new Error(notInstalledMessage(pkg, `${pkg}@${tf.version.tfjs}`), { cause: err });
    throw err;
  }
}

registerTfjsBackend('tensorflow', {
  async activate() {
    const reasons: string[] = [];
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(pkg);
        await switchTo('tensorflow');
        return;
      } catch (err) {
        reasons.push(`${pkg}: ${missingPackage(err) === pkg ? 'not installed' : errorText(err)}`);
      }
    }
    throw new Error(
      `native TensorFlow is not usable (${reasons.join('; ')}). Install it on a machine with internet access: ` +
        `\`npm i @tensorflow/tfjs-node@${tf.version.tfjs}\` (in this repository \`pnpm --filter @vae/train add @tensorflow/tfjs-node\`; downloads libtensorflow 2.9.1 at install), or ` +
        '`@tensorflow/tfjs-node-gpu` for NVIDIA GPUs (also needs CUDA 11.2 + cuDNN 8)',
    );
  },
});

registerTfjsBackend('webgpu', {
  async activate(auto) {
    if (!navigatorGpu()) {
      // Probed in a child process first, so Dawn's native diagnostics stay out of `auto`'s output.
      const probe = await probeDawnWebGpu();
      if (!probe.available) throw new Error(`${probe.reason}; ${VULKAN_DRIVER_HINT}`);
      if (auto && probe.software) {
        throw new Error(
          `the only WebGPU adapter is a software rasterizer (${probe.adapter}), slower than wasm; pass --backend webgpu to use it anyway`,
        );
      }
      await installDawnWebGpu();
    }
    await importBackend('@tensorflow/tfjs-backend-webgpu', () => import('@tensorflow/tfjs-backend-webgpu'));
    await switchTo('webgpu');
  },
});

registerTfjsBackend('wasm', {
  async activate() {
    await importBackend('@tensorflow/tfjs-backend-wasm', () => import('@tensorflow/tfjs-backend-wasm'));
    await switchTo('wasm');
  },
});

registerTfjsBackend('cpu', {
  async activate() {
    await switchTo('cpu');
  },
});

/**
 * Activates a tfjs backend. A concrete name activates that backend or rejects with why it is
 * unavailable and how to get it; `auto` takes the first registered backend that really initializes
 * (`tensorflow` → `webgpu` on a hardware adapter → `wasm` → `cpu`) and has every kernel in
 * `options.kernels`, logs which one and why the others were skipped. `tf.setBackend` silently
 * staying on cpu is detected and reported as a failure.
 */
export async function selectBackend(
  name: BackendRequest,
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  if (name !== 'auto' && !registry.has(name)) {
    throw new RangeError(`backend: expected one of auto|${listTfjsBackends().join('|')}, got ${JSON.stringify(name)}`);
  }
  const candidates = name === 'auto' ? listTfjsBackends() : [name];
  const fallbacks: { backend: string; reason: string }[] = [];
  for (const candidate of candidates) {
    try {
      await registry.get(candidate)!.activate(name === 'auto');
      const missing = (options.kernels ?? []).filter((k) => tf.getKernel(k, candidate) === undefined);
      if (missing.length > 0) {
        throw new Error(
          `tfjs' ${candidate} backend has no ${missing.join(', ')} kernel${missing.length > 1 ? 's' : ''}, which this model needs; use --backend cpu${candidate === 'webgpu' ? '' : ' or webgpu'}`,
        );
      }
      if (name === 'auto') {
        const skipped = fallbacks.map((f) => `${f.backend} (${f.reason})`).join('; ');
        log.info(`tfjs backend: ${candidate}${skipped ? `; skipped ${skipped}` : ''}`);
      } else log.debug(`tfjs backend: ${candidate}`);
      return { backend: candidate, fallbacks };
    } catch (err) {
      fallbacks.push({ backend: candidate, reason: errorText(err) });
    }
  }
  if (name !== 'auto') throw new Error(`backend ${name} is not available: ${fallbacks[0]!.reason}`);
  throw new Error(
    `no tfjs backend could be initialized: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`,
  );
}
