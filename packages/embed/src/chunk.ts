import { oneHot, type Tensor, type VaeModel } from '@vae/core';
import { pixelsToUnit } from '@vae/data';
import type { EmbedTableMeta, RowsTemplate } from './table-rows.js';

/** A contiguous range of a corpus: the unit of work, of resumption and of exactly-once. */
export interface Chunk {
  /** Chunk number within the corpus (0-based). */
  readonly index: number;
  /** Id of its first item (ids are 0-based positions in the corpus split). */
  readonly start: number;
  readonly count: number;
  /** `count × inputSize` bytes, 0–255 (as the datasets keep them). */
  readonly pixels: Uint8Array;
  /** `count` labels; -1 where the corpus has no label. */
  readonly labels: Int32Array;
  /** Content hash of the chunk (over its items' hashes, see {@link Chunk.itemHashes}). */
  readonly hash: string;
  /** Per item content hash (16 hex digits, see {@link hashBytes}). */
  readonly itemHashes: readonly string[];
}

/** The key results are stored and deduplicated under: `${index}:${hash}`. */
export function chunkKey(c: { index: number; hash: string }): string {
  return `${c.index}:${c.hash}`;
}

/** The encoder's output for one chunk. */
export interface EmbeddedChunk {
  readonly index: number;
  readonly start: number;
  readonly count: number;
  readonly hash: string;
  readonly labels: Int32Array;
  /** Per item content hash (hex). */
  readonly itemHashes: readonly string[];
  /** Latent size L. */
  readonly dim: number;
  /** `count × L`: μ for VAEs, the code z for plain autoencoders. */
  readonly mu: Float32Array;
  /** `count × L` when requested and the model is variational, else null. */
  readonly logvar: Float32Array | null;
  /**
   * The chunk's rows as Arrow IPC file bytes in the sink's schema ({@link EmbeddingSink.rowsMeta}),
   * `mu` and `logvar` being views into them ({@link embedChunk} with a rows template); absent when
   * the sink builds the rows itself.
   */
  readonly rows?: Uint8Array;
}

/** Where embedded chunks go; the LanceDB table implements it. `write` of a key already stored is a no-op. */
export interface EmbeddingSink {
  storedKeys(): Promise<ReadonlySet<string>>;
  write(chunk: EmbeddedChunk): Promise<void>;
  /**
   * The table layout the sink stores rows in, when it accepts rows prebuilt as Arrow IPC bytes
   * ({@link EmbeddedChunk.rows}): `embedCorpus` then has them built ahead, off the encoder's thread.
   */
  readonly rowsMeta?: EmbedTableMeta;
}

const M1 = 0xcc9e2d51;
const M2 = 0x1b873593;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Two hex digits per byte value. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(v: number): string {
  return HEX[v >>> 24]! + HEX[(v >>> 16) & 255]! + HEX[(v >>> 8) & 255]! + HEX[v & 255]!;
}

/** `bytes[start, end)` as little-endian 4-byte words: a view when aligned, else a copy (partial last word dropped). */
function wordsOf(bytes: Uint8Array, start: number, end: number): Uint32Array {
  const words = (end - start) >> 2;
  const at = bytes.byteOffset + start;
  if (LITTLE_ENDIAN && at % 4 === 0) return new Uint32Array(bytes.buffer, at, words);
  const out = new Uint32Array(words);
  for (let w = 0, i = start; w < words; w++, i += 4)
    out[w] = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
  return out;
}

/**
 * The hash of `n` bytes whose whole 4-byte words are `words[from, to)` and whose last `n % 4` bytes
 * are `tail` (little-endian). Two MurmurHash3-style 32-bit lanes, different seeds, cross-mixed in
 * the finaliser.
 */
function hashWords(words: Uint32Array, from: number, to: number, tail: number, n: number): string {
  let h1 = 0x9747b28c ^ n;
  let h2 = 0x6a09e667;
  for (let w = from; w < to; w++) {
    let k = Math.imul(words[w]!, M1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, M2);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    h2 = Math.imul(h2 ^ k, 0x85ebca77);
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  const k = Math.imul((Math.imul(tail, M1) << 15) | (Math.imul(tail, M1) >>> 17), M2);
  h1 ^= k;
  h2 ^= Math.imul(k, 0x27d4eb2f);
  const a = fmix32(h1 ^ h2);
  return hex32(a) + hex32(fmix32(h2 + Math.imul(a, 0x165667b1)));
}

function tailOf(bytes: Uint8Array, from: number, end: number): number {
  let k = 0;
  for (let i = from, s = 0; i < end; i++, s += 8) k |= bytes[i]! << s;
  return k;
}

/**
 * Content hash of `bytes[start, end)`: a fast non-cryptographic 64-bit hash, two MurmurHash3-style
 * 32-bit lanes (multiply-rotate over 4-byte little-endian words, different seeds, cross-mixed in
 * the finaliser), as 16 lower-case hex digits. Deterministic across platforms and runs; meant to
 * detect changed content, not to resist an adversary. About 1.5 ns per byte here (~1.2 µs per
 * 28×28 image).
 */
export function hashBytes(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  const words = wordsOf(bytes, start, end);
  return hashWords(words, 0, words.length, tailOf(bytes, start + 4 * words.length, end), n);
}

/** {@link hashBytes} of each `size`-byte item of `bytes` (one pass; no per-item views when aligned). */
export function hashItems(bytes: Uint8Array, size: number): string[] {
  const count = bytes.length / size;
  const out = new Array<string>(count);
  if (size % 4 === 0) {
    const words = wordsOf(bytes, 0, bytes.length);
    const per = size >> 2;
    for (let r = 0; r < count; r++) out[r] = hashWords(words, r * per, (r + 1) * per, 0, size);
  } else for (let r = 0; r < count; r++) out[r] = hashBytes(bytes, r * size, (r + 1) * size);
  return out;
}

/** Chunk hash: {@link hashBytes} over the items' hashes (ASCII, in order). */
export function hashOfHashes(itemHashes: readonly string[]): string {
  return hashBytes(new TextEncoder().encode(itemHashes.join('')));
}

function assertCount(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name}: expected an integer ≥ ${min}, got ${String(value)}`);
}

/** Makes a chunk from a slice (computes item hashes and the chunk hash). */
export function makeChunk(
  index: number,
  start: number,
  pixels: Uint8Array,
  labels: Int32Array,
  inputSize: number,
): Chunk {
  assertCount(index, 'index', 0);
  assertCount(start, 'start', 0);
  assertCount(inputSize, 'inputSize', 1);
  if (!(pixels instanceof Uint8Array)) throw new TypeError(`pixels: expected a Uint8Array, got ${typeof pixels}`);
  if (!(labels instanceof Int32Array)) throw new TypeError(`labels: expected an Int32Array, got ${typeof labels}`);
  if (pixels.length % inputSize !== 0 || pixels.length / inputSize !== labels.length)
    throw new RangeError(
      `pixels: expected labels.length × inputSize = ${labels.length} × ${inputSize} = ${labels.length * inputSize} bytes, got ${pixels.length}`,
    );
  const count = labels.length;
  const itemHashes = hashItems(pixels, inputSize);
  return { index, start, count, pixels, labels, hash: hashOfHashes(itemHashes), itemHashes };
}

/** A chunk's model input `count × D`: grey levels / 255 (as the datasets are trained on), into `out` when given. */
export function chunkInput(pixels: Uint8Array, count: number, inputSize: number, out?: Float32Array): Float32Array {
  if (pixels.length !== count * inputSize)
    throw new RangeError(`pixels: expected ${count} × ${inputSize} bytes, got ${pixels.length}`);
  return pixelsToUnit(pixels, out);
}

/** The model input `[rows, D]` and, for conditional models, one-hot labels. */
function batchInput(
  model: VaeModel,
  chunk: Chunk,
  from: number,
  to: number,
  input: Float32Array | undefined,
  stage: Float32Array | undefined,
): { x: Tensor; y?: Tensor } {
  const d = model.inputSize;
  const n = (to - from) * d;
  let data: Float32Array;
  if (!input) data = chunkInput(chunk.pixels.subarray(from * d, to * d), to - from, d, stage?.subarray(0, n));
  else if (stage) {
    data = stage.subarray(0, n);
    data.set(input.subarray(from * d, to * d));
  } else data = input.subarray(from * d, to * d);
  // Converted from bytes: finite by construction, so the model skips its NaN/±Infinity scan.
  const x: Tensor = { data, shape: [to - from, d], finite: true };
  if (model.numClasses === 0) return { x };
  return { x, y: oneHot(chunk.labels.subarray(from, to), model.numClasses) };
}

/** Options of {@link embedChunk}. */
export interface EmbedChunkOptions {
  readonly batchSize: number;
  /** Return log σ² too (variational models). */
  readonly logvar: boolean;
  /**
   * The chunk's model input already converted ({@link chunkInput}), e.g. by a worker thread. In
   * shared memory it is copied batch by batch into two private buffers (onnxruntime-node refuses
   * tensors on a SharedArrayBuffer).
   */
  readonly input?: Float32Array;
  /**
   * The chunk's rows with zeros for its vectors (`rowsTemplate`, e.g. built by a worker thread):
   * μ (and log σ²) are written straight into them and the result carries them as
   * {@link EmbeddedChunk.rows}. Its log σ² column must match `logvar` and the model.
   */
  readonly rows?: RowsTemplate;
}

/** Float32 views of a rows template's vector values (`count × L` each). */
function templateOutputs(
  rows: RowsTemplate,
  values: number,
  wantLogvar: boolean,
): { mu: Float32Array; logvar: Float32Array | null } {
  if (rows.logvarOffset >= 0 !== wantLogvar)
    throw new RangeError(
      `rows: expected a template ${wantLogvar ? 'with' : 'without'} a logvar column (logvar ${String(wantLogvar)}), got one ${rows.logvarOffset >= 0 ? 'with' : 'without'}`,
    );
  const view = (offset: number): Float32Array => {
    if (offset % 4 !== 0 || offset + values * 4 > rows.bytes.byteLength)
      throw new RangeError(
        `rows: expected ${values} float32 values at a 4-byte aligned offset within ${rows.bytes.byteLength} bytes, got offset ${offset}`,
      );
    return new Float32Array(rows.bytes.buffer, rows.bytes.byteOffset + offset, values);
  };
  return { mu: view(rows.muOffset), logvar: wantLogvar ? view(rows.logvarOffset) : null };
}

/**
 * Runs the encoder over a chunk in batches of `batchSize` (a `VaeModel` from @vae/runtime-node's
 * `loadModel`), converting pixels per batch unless `input` is given.
 */
export async function embedChunk(model: VaeModel, chunk: Chunk, options: EmbedChunkOptions): Promise<EmbeddedChunk> {
  assertCount(options.batchSize, 'batchSize', 1);
  const d = model.inputSize;
  if (chunk.pixels.length !== chunk.count * d)
    throw new RangeError(
      `chunk.pixels: expected ${chunk.count} × ${d} bytes for ${model.manifest.name}, got ${chunk.pixels.length}`,
    );
  const input = options.input;
  if (input && input.length !== chunk.count * d)
    throw new RangeError(`input: expected ${chunk.count} × ${d} values, got ${input.length}`);
  const l = model.latentDim;
  const wantLogvar = options.logvar && model.variational;
  const { mu, logvar } = options.rows
    ? templateOutputs(options.rows, chunk.count * l, wantLogvar)
    : { mu: new Float32Array(chunk.count * l), logvar: wantLogvar ? new Float32Array(chunk.count * l) : null };
  const b = options.batchSize;
  // Two, as the next batch is staged while the current one runs: converted bytes, or a copy of shared input.
  const stages =
    !input || input.buffer instanceof SharedArrayBuffer
      ? [new Float32Array(Math.min(b, chunk.count) * d), new Float32Array(Math.min(b, chunk.count) * d)]
      : [];
  let next = chunk.count > 0 ? batchInput(model, chunk, 0, Math.min(b, chunk.count), input, stages[0]) : null;
  for (let from = 0, k = 1; next; from += b, k++) {
    const running = model.encode(next.x, next.y);
    const to = Math.min(from + b, chunk.count);
    next = to < chunk.count ? batchInput(model, chunk, to, Math.min(to + b, chunk.count), input, stages[k % 2]) : null;
    const e = await running;
    if ('mu' in e) {
      mu.set(e.mu.data, from * l);
      logvar?.set(e.logvar.data, from * l);
    } else mu.set(e.z.data, from * l);
  }
  return {
    index: chunk.index,
    start: chunk.start,
    count: chunk.count,
    hash: chunk.hash,
    labels: chunk.labels,
    itemHashes: chunk.itemHashes,
    dim: l,
    mu,
    logvar,
    ...(options.rows ? { rows: options.rows.bytes } : {}),
  };
}

/**
 * `e` (encoded from `chunk`'s items before their hashes were known) with `chunk`'s hashes and, given
 * its rows template, its vectors copied into the template's bytes (see {@link EmbeddedChunk.rows}).
 */
export function completeEmbedded(e: EmbeddedChunk, chunk: Chunk, rows?: RowsTemplate): EmbeddedChunk {
  if (e.index !== chunk.index || e.start !== chunk.start || e.count !== chunk.count)
    throw new RangeError(
      `chunk: expected chunk ${e.index} (items ${e.start}…, ${e.count}), got chunk ${chunk.index} (items ${chunk.start}…, ${chunk.count})`,
    );
  const done = { ...e, hash: chunk.hash, itemHashes: chunk.itemHashes };
  if (!rows) return done;
  const { mu, logvar } = templateOutputs(rows, e.count * e.dim, e.logvar !== null);
  mu.set(e.mu);
  if (e.logvar) logvar?.set(e.logvar);
  return { ...done, mu, logvar, rows: rows.bytes };
}

function base64Of(a: Float32Array | Int32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64<T extends Float32Array | Int32Array>(
  value: unknown,
  name: string,
  length: number,
  make: (buffer: ArrayBuffer, n: number) => T,
): T {
  if (typeof value !== 'string') throw new TypeError(`${name}: expected a base64 string, got ${describe(value)}`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.byteLength !== length * 4)
    throw new RangeError(`${name}: expected ${length} values (${length * 4} bytes), got ${bytes.byteLength} bytes`);
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return make(copy, length);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeof value;
}

/** Serialises an EmbeddedChunk to a JSON-safe object (Float32/Int32 arrays as base64), e.g. a queue job's return value. */
export function encodeEmbedded(c: EmbeddedChunk): Record<string, unknown> {
  return {
    index: c.index,
    start: c.start,
    count: c.count,
    hash: c.hash,
    labels: base64Of(c.labels),
    itemHashes: [...c.itemHashes],
    dim: c.dim,
    mu: base64Of(c.mu),
    logvar: c.logvar ? base64Of(c.logvar) : null,
  };
}

const HEX16 = /^[0-9a-f]{16}$/;

/** Parses what {@link encodeEmbedded} made; throws naming the first malformed field, expected and actual. */
export function decodeEmbedded(v: unknown): EmbeddedChunk {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new TypeError(`embedded chunk: expected an object, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  const int = (name: string, min: number): number => {
    const x = o[name];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min)
      throw new RangeError(
        `${name}: expected an integer ≥ ${min}, got ${describe(x)}${typeof x === 'number' ? ` ${x}` : ''}`,
      );
    return x;
  };
  const index = int('index', 0);
  const start = int('start', 0);
  const count = int('count', 0);
  const dim = int('dim', 1);
  const hash = o.hash;
  if (typeof hash !== 'string' || !HEX16.test(hash))
    throw new TypeError(`hash: expected 16 hex digits, got ${describe(hash)}`);
  const itemHashes = o.itemHashes;
  if (!Array.isArray(itemHashes) || itemHashes.length !== count)
    throw new RangeError(`itemHashes: expected an array of ${count} hashes, got ${describe(itemHashes)}`);
  itemHashes.forEach((h, i) => {
    if (typeof h !== 'string' || !HEX16.test(h))
      throw new TypeError(`itemHashes[${i}]: expected 16 hex digits, got ${describe(h)}`);
  });
  if (hashOfHashes(itemHashes as string[]) !== hash)
    throw new RangeError(
      `hash: expected the hash of itemHashes (${hashOfHashes(itemHashes as string[])}), got ${hash}`,
    );
  const labels = fromBase64(o.labels, 'labels', count, (b, n) => new Int32Array(b, 0, n));
  const mu = fromBase64(o.mu, 'mu', count * dim, (b, n) => new Float32Array(b, 0, n));
  const logvar =
    o.logvar === null || o.logvar === undefined
      ? null
      : fromBase64(o.logvar, 'logvar', count * dim, (b, n) => new Float32Array(b, 0, n));
  return { index, start, count, hash, labels, itemHashes: itemHashes as string[], dim, mu, logvar };
}
