import type { InferenceSession, Tensor } from 'onnxruntime-node';
import {
  directAddon,
  directBindingStatus,
  type DirectAddon,
  type DirectOptions,
  type DirectValueInfo,
} from './ort-direct.js';

/**
 * Sessions on onnxruntime's C API, called directly (`native/ort-direct.c`): `run()` reads every input
 * from the caller's Float32Array and writes every pre-allocated output into the caller's Float32Array,
 * synchronously on the calling thread. onnxruntime-node 1.30 copies every fetched output, pre-allocated
 * ones included, and runs each call an event-loop turn later (setImmediate): for the ort engine's
 * training step that was 2.6 MB of gradients per step, for a batch-1 encode 45–50 µs instead of 29–33.
 * The library is the one onnxruntime-node ships, so the process holds one onnxruntime.
 */

/** How sessions call onnxruntime on Node: directly where possible (`auto`), always, or never. */
export type OrtNodeBinding = 'auto' | 'direct' | 'onnxruntime-node';
/** The bindings, for option parsing and help. */
export const ORT_NODE_BINDINGS: readonly OrtNodeBinding[] = Object.freeze(['auto', 'direct', 'onnxruntime-node']);

/** Parses a binding request; a `RangeError` names the argument, the expected and the actual value. */
export function parseOrtNodeBinding(value: unknown, name = 'binding'): OrtNodeBinding {
  if (typeof value === 'string' && (ORT_NODE_BINDINGS as readonly string[]).includes(value))
    return value as OrtNodeBinding;
  throw new RangeError(`${name}: expected ${ORT_NODE_BINDINGS.join('|')}, got ${JSON.stringify(value)}`);
}

/** The binding `VAE_ORT_BINDING` asks for (default `auto`), for training and inference alike; a bad value throws naming it. */
export function requestedOrtNodeBinding(env: NodeJS.ProcessEnv = process.env): OrtNodeBinding {
  const value = env.VAE_ORT_BINDING;
  return value === undefined || value === '' ? 'auto' : parseOrtNodeBinding(value, 'VAE_ORT_BINDING');
}

/**
 * How sessions call onnxruntime as far as the binding's state decides, in words: `onnxruntime 1.30.0
 * C API, called directly`, or `onnxruntime-node (direct binding unavailable: …why)`.
 */
export function directBindingSummary(): string {
  const s = directBindingStatus();
  return s.available
    ? `onnxruntime ${s.version} C API, called directly`
    : `onnxruntime-node (direct binding unavailable: ${s.reason})`;
}

const LEVELS: Readonly<Record<string, number>> = { disabled: 0, basic: 1, extended: 2, layout: 3, all: 99 };
/** Session options a direct session understands; any other one sends the session to onnxruntime-node. */
const KNOWN_OPTIONS = new Set([
  'executionProviders',
  'intraOpNumThreads',
  'interOpNumThreads',
  'executionMode',
  'enableMemPattern',
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
    memPattern: options.enableMemPattern === false ? 0 : 1,
    optimizationLevel: level,
    logSeverity: options.logSeverityLevel ?? 2,
    config: flatten(options.extra ?? {}, '', []),
  };
}

/** The first input or output that is not a float32 tensor, described, or null. */
function nonFloat(values: readonly DirectValueInfo[], side: string): string | null {
  const v = values.find((i) => !i.isTensor || i.type !== 'float32');
  return v ? `${side} ${v.name} is ${v.isTensor ? `a ${v.type} tensor` : 'not a tensor'}` : null;
}

/**
 * A session on onnxruntime's C API with `InferenceSession`'s shape for float32 graphs: names and
 * metadata of inputs and outputs, `run(feeds, fetches?)`, `release()`.
 */
export class DirectSession {
  readonly binding = 'direct';
  readonly inputNames: readonly string[];
  /** The graph's outputs, in order: what `run()` fetches when not told. */
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly DirectValueInfo[];
  readonly outputMetadata: readonly DirectValueInfo[];
  private handle: object | null;

  private constructor(
    private readonly native: DirectAddon,
    handle: object,
    signature: { inputs: DirectValueInfo[]; outputs: DirectValueInfo[] },
    private readonly TensorClass: typeof Tensor,
  ) {
    this.handle = handle;
    this.inputMetadata = Object.freeze(signature.inputs);
    this.outputMetadata = Object.freeze(signature.outputs);
    this.inputNames = Object.freeze(signature.inputs.map((i) => i.name));
    this.outputNames = Object.freeze(signature.outputs.map((o) => o.name));
  }

  /**
   * Opens a session; throws with the reason when the binding is unavailable, the options need
   * onnxruntime-node, or the graph has an input or output that is not a float32 tensor.
   */
  static open(model: Uint8Array, options: InferenceSession.SessionOptions, TensorClass: typeof Tensor): DirectSession {
    const s = directBindingStatus();
    const addon = directAddon();
    if (!s.available || !addon)
      throw new Error(`direct onnxruntime binding unavailable: ${s.available ? '' : s.reason}`);
    const opts = directOptions(options);
    if (typeof opts === 'string') throw new Error(`direct onnxruntime binding: ${opts}`);
    const handle = addon.createSession(model, opts);
    const signature = addon.signature(handle);
    const other = nonFloat(signature.inputs, 'input') ?? nonFloat(signature.outputs, 'output');
    if (other) {
      addon.release(handle);
      throw new Error(`direct onnxruntime binding: float32 graphs only (${other})`);
    }
    return new DirectSession(addon, handle, signature, TensorClass);
  }

  /**
   * {@link DirectSession.open} for a `binding` request: under `direct` it throws as `open` does; under
   * `auto` it returns why it could not open one instead (the caller falls back to onnxruntime-node).
   */
  static tryOpen(
    model: Uint8Array,
    options: InferenceSession.SessionOptions,
    TensorClass: typeof Tensor,
    binding: Exclude<OrtNodeBinding, 'onnxruntime-node'>,
  ): DirectSession | string {
    try {
      return DirectSession.open(model, options, TensorClass);
    } catch (err) {
      if (binding === 'direct') throw err;
      return err instanceof Error ? err.message : String(err);
    }
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
