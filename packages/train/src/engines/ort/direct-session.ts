import { getLogger } from '@vae/core';
import { directAddon, directBindingStatus, type DirectAddon, type DirectOptions } from '@vae/device-node';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { ArrayAdamKernel } from './adam-arena.js';
import type { OrtModule, OrtRunSession } from './ort-platform.js';

/**
 * Training sessions on onnxruntime's C API, called directly (`@vae/device-node`'s `native/ort-direct.c`):
 * `run()` reads every input from the caller's Float32Array and writes every pre-allocated output into
 * the caller's Float32Array, synchronously on the calling thread. onnxruntime-node 1.30 copies every
 * fetched output, pre-allocated ones included (the ort engine's 2.6 MB of gradients per step), and runs
 * each call an event-loop turn later (setImmediate); docs/BENCHMARKS.md ("Training pipeline") has the figures. The
 * library is the one onnxruntime-node ships, so the process holds one onnxruntime.
 */

const log = getLogger('train:ort');

/** How the ort engine's sessions call onnxruntime on Node. */
export type OrtNodeBinding = 'auto' | 'direct' | 'onnxruntime-node';
/** The bindings, for option parsing and help. */
export const ORT_NODE_BINDINGS: readonly OrtNodeBinding[] = Object.freeze(['auto', 'direct', 'onnxruntime-node']);

const LEVELS: Readonly<Record<string, number>> = { disabled: 0, basic: 1, extended: 2, layout: 3, all: 99 };
/** Session options a direct session understands; any other one sends the session to onnxruntime-node. */
const KNOWN_OPTIONS = new Set([
  'executionProviders',
  'intraOpNumThreads',
  'interOpNumThreads',
  'executionMode',
  'graphOptimizationLevel',
  'logSeverityLevel',
  'extra',
]);

/** `extra` as onnxruntime-node flattens it: `{ session: { intra_op: { allow_spinning: '0' } } }` → one dotted key. */
function flatten(value: unknown, prefix: string, out: [string, string][]): [string, string][] {
  if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  else out.push([prefix, String(value)]);
  return out;
}

/** The direct session options of `options`, or why a direct session cannot honour them. */
export function directOptions(options: InferenceSession.SessionOptions = {}): DirectOptions | string {
  const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.has(k));
  if (unknown.length) return `session options ${unknown.join(', ')} are onnxruntime-node's only`;
  const providers = (options.executionProviders ?? ['cpu']).map((p) => (typeof p === 'string' ? p : p.name));
  if (providers.some((p) => p !== 'cpu'))
    return `execution providers ${providers.join(', ')}: direct sessions are CPU only`;
  const level = LEVELS[options.graphOptimizationLevel ?? 'all'];
  if (level === undefined) return `graphOptimizationLevel ${String(options.graphOptimizationLevel)} is unknown`;
  return {
    intraOpThreads: options.intraOpNumThreads ?? 0,
    interOpThreads: options.interOpNumThreads ?? 0,
    parallel: options.executionMode === 'parallel' ? 1 : 0,
    optimizationLevel: level,
    logSeverity: options.logSeverityLevel ?? 2,
    config: flatten(options.extra ?? {}, '', []),
  };
}

/** A session on onnxruntime's C API; the step runner's slice of `InferenceSession`. */
export class DirectSession implements OrtRunSession {
  readonly binding = 'direct';
  /** The graph's outputs, in order: what `run()` fetches when not told. */
  readonly outputNames: readonly string[];
  private handle: object | null;

  private constructor(
    private readonly native: DirectAddon,
    handle: object,
    private readonly TensorClass: typeof Tensor,
  ) {
    this.handle = handle;
    this.outputNames = Object.freeze(native.outputNames(handle));
  }

  /** Opens a session; throws with the reason when the binding is unavailable or the options need onnxruntime-node. */
  static open(model: Uint8Array, options: InferenceSession.SessionOptions, TensorClass: typeof Tensor): DirectSession {
    const s = directBindingStatus();
    const addon = directAddon();
    if (!s.available || !addon)
      throw new Error(`direct onnxruntime binding unavailable: ${s.available ? '' : s.reason}`);
    const opts = directOptions(options);
    if (typeof opts === 'string') throw new Error(`direct onnxruntime binding: ${opts}`);
    return new DirectSession(addon, addon.createSession(model, opts), TensorClass);
  }

  /**
   * Runs the graph. Feeds must be float32 tensors; `fetches` maps output names to a pre-allocated
   * float32 tensor (written in place and returned as it is) or null (returned as a new tensor), or
   * lists the names to fetch; absent: every output.
   */
  async run(
    feeds: InferenceSession.FeedsType,
    fetches?: InferenceSession.FetchesType,
  ): Promise<InferenceSession.ReturnType> {
    if (!this.handle) throw new Error('direct session: released');
    const names = Object.keys(feeds);
    const inputs = names.map((n) => float32(feeds[n]!, `feeds.${n}`));
    const wanted = fetchList(fetches ?? this.outputNames);
    const given = wanted.map(([n, t]) => (t ? float32(t, `fetches.${n}`) : null));
    const out = this.native.run(
      this.handle,
      names,
      inputs.map((t) => t.data as Float32Array),
      inputs.map((t) => t.dims),
      wanted.map(([n]) => n),
      given.map((t) => (t ? (t.data as Float32Array) : null)),
      given.map((t) => (t ? t.dims : [])),
    );
    const result: Record<string, Tensor> = {};
    wanted.forEach(([name], i) => {
      const fetched = out[i];
      result[name] = fetched ? new this.TensorClass('float32', fetched[0], fetched[1]) : given[i]!;
    });
    return result;
  }

  release(): Promise<void> {
    if (this.handle) this.native.release(this.handle);
    this.handle = null;
    return Promise.resolve();
  }
}

function float32(t: Tensor | null, name: string): Tensor {
  if (t?.type !== 'float32' || !(t.data instanceof Float32Array))
    throw new RangeError(`${name}: expected a float32 tensor on a direct session, got ${t ? t.type : 'none'}`);
  return t;
}

/** `fetches` as [name, pre-allocated tensor or null] pairs. */
function fetchList(fetches: InferenceSession.FetchesType): [string, Tensor | null][] {
  if (Array.isArray(fetches)) return fetches.map((n) => [n as string, null]);
  return Object.entries(fetches as Record<string, Tensor | null>);
}

/**
 * An onnxruntime module whose sessions are direct where `binding` allows: `auto` opens a direct session
 * when the native module loads and the options are CPU-only, else onnxruntime-node's (saying why at
 * debug level); `direct` throws instead of falling back.
 */
export function directOrtModule(node: OrtModule, binding: Exclude<OrtNodeBinding, 'onnxruntime-node'>): OrtModule {
  return Object.freeze({
    Tensor: node.Tensor,
    InferenceSession: {
      async create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<OrtRunSession> {
        try {
          return DirectSession.open(model, options ?? {}, node.Tensor);
        } catch (err) {
          if (binding === 'direct') throw err;
          log.debug(`onnxruntime-node session: ${err instanceof Error ? err.message : String(err)}`);
          return node.InferenceSession.create(model, options);
        }
      },
    },
  });
}

/** The native module's Adam kernel (AdamArena's update in AVX-512/AVX2 where the CPU has it), or null when unavailable. */
export function directAdamKernel(): ArrayAdamKernel | null {
  return directAddon()?.adam ?? null;
}

/** One line for the engine's log: how the runner's training session calls onnxruntime, and why. */
export function bindingSummary(used: 'direct' | 'module', requested: OrtNodeBinding, device: string): string {
  const s = directBindingStatus();
  if (used === 'direct' && s.available) return `onnxruntime ${s.version} C API, called directly`;
  if (requested === 'onnxruntime-node') return 'onnxruntime-node (binding: onnxruntime-node asked)';
  if (device !== 'cpu') return `onnxruntime-node (direct sessions are CPU only; device ${device})`;
  return `onnxruntime-node (direct binding unavailable: ${s.available ? 'the session options need onnxruntime-node' : s.reason})`;
}

/** Parses a binding request; a `RangeError` names the argument, the expected and the actual value. */
export function parseOrtNodeBinding(value: unknown, name = 'binding'): OrtNodeBinding {
  if (typeof value === 'string' && (ORT_NODE_BINDINGS as readonly string[]).includes(value))
    return value as OrtNodeBinding;
  throw new RangeError(`${name}: expected ${ORT_NODE_BINDINGS.join('|')}, got ${JSON.stringify(value)}`);
}
