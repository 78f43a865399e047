import {
  createSessionWithBackend,
  assertDeviceRequest,
  deviceArithmetic,
  type DeviceFallback,
} from './runtime-registry.js';
import { hasNonFinite } from './finite-scan.js';
import { checkGoldenGraph, describeGoldenFailure, type ModelVerification } from './golden-check.js';
import type { GoldenFile } from './golden-file.js';
import { SCORER_OUTPUT, checkGraphSignature } from './graph-signature.js';
import { scoredLogLikelihood } from './importance-sampling.js';
import { getLogger } from './logger.js';
import type { ModelManifest } from './manifest.js';
import { MODEL_PARTS, openModel, readChecked, type ModelPart, type VerifyOption } from './model-open.js';
import type { ModelFileSource } from './model-source.js';
import { Rng } from './rng.js';
import type { Backend, BackendSession, DeviceRequest, ExecutionDevice } from './runtime-contract.js';
import { lerp, samplePrior, slerp } from './sampling.js';
import { rowsPerRunFor } from './run-budget.js';
import {
  assertFinite,
  assertInteger,
  assertNumber,
  assertShape,
  gatherRows,
  sliceRows,
  type Tensor,
} from './tensor.js';
import { elboVia, logLikelihoodVia, type DecodeResult, type EncodeResult } from './variational-scores.js';

const log = getLogger('core:model');

/** Options of {@link VaeModel.load}. */
export interface VaeModelLoadOptions {
  /** Execution device; default `auto` (the first that creates a session). */
  readonly device?: DeviceRequest;
  /** Intra-op threads; default: the backend's tuned choice. */
  readonly threads?: number;
  /** Backends to try instead of the registered ones. */
  readonly backends?: readonly Backend[];
  /**
   * Run the model's golden rows once on the chosen device (default: `true` for `device: 'auto'`,
   * `false` for a named device). Out of tolerance under `auto`, the next device is tried and the
   * reason recorded in `verification.fallbacks`; on a named device the load throws a
   * `GoldenCheckError`, or with `'warn'` loads anyway (`verification.status: 'failed'`).
   */
  readonly verify?: VerifyOption;
  /**
   * Graphs to read and open (default both). `['decoder']` never reads `encoder.onnx` (an edge page
   * downloads the decoder only); `encode`, `embed`, `reconstruct`, `elbo` and `logLikelihood` then throw.
   */
  readonly parts?: readonly ModelPart[];
}

/** Options of {@link VaeModel.sample}. */
export interface SampleOptions {
  readonly n: number;
  readonly seed: number;
  /** Scales the prior draws (default 1; 0 decodes the prior mean). */
  readonly temperature?: number;
  /** One-hot labels `[n, K]` (conditional models only). */
  readonly y?: Tensor;
}

/** Options of {@link VaeModel.logLikelihood}. */
export interface LogLikelihoodOptions {
  /** Importance samples K per example (1 gives the ELBO with one sample). */
  readonly samples: number;
  readonly seed: number;
  /**
   * Samples per example per run, all examples in every run (`batch·chunkSize` decoded rows). Default:
   * chosen from `rowsPerRun`.
   */
  readonly chunkSize?: number;
  /**
   * Decoded rows per run when `chunkSize` is not given (default: core's `rowsPerRunFor(spec)`, the
   * measured fastest `DEFAULT_ROWS_PER_RUN` or fewer for a large decoder): examples and samples are
   * split into runs of about this many rows (core's `planSampleRuns`).
   */
  readonly rowsPerRun?: number;
  readonly y?: Tensor;
  /**
   * Awaited before each chunk is scored, e.g. to check a deadline (throw to abandon the estimate)
   * or to give the event loop a turn.
   */
  readonly beforeChunk?: () => Promise<void> | void;
}

/** Latent endpoints and results of {@link VaeModel.interpolate}. */
export interface InterpolateOptions {
  /** Spherical interpolation (slerp) instead of linear. */
  readonly spherical?: boolean;
  /** One-hot label `[1, K]` used for both endpoints and every step (conditional models only). */
  readonly y?: Tensor;
}

/**
 * {@link assertFinite} with a fast path ({@link hasNonFinite}, SIMD where available); only when a
 * value is NaN or ±Infinity does the element-wise check run to name the first one. Skipped for a
 * tensor its producer marked {@link Tensor.finite}.
 */
function assertFiniteFast(t: Tensor, name: string): void {
  if (t.finite === true) return;
  if (hasNonFinite(t.data)) assertFinite(t, name);
}

/** `t` `[1, W]` repeated `n` times. */
function repeatRow(t: Tensor, n: number): Tensor {
  return gatherRows(t, new Uint32Array(n));
}

/** A tensor's values as one row `[1, W]` (accepts `[W]` or `[1, W]`). */
function asRow(t: Tensor, width: number, name: string): Tensor {
  if (t?.shape?.length === 1) assertShape(t, [width], name);
  else assertShape(t, [1, width], name);
  assertFinite(t, name);
  return { data: t.data, shape: [1, width] };
}

function assertModelSource(source: ModelFileSource): void {
  if (
    source === null ||
    typeof source !== 'object' ||
    typeof source.read !== 'function' ||
    typeof source.location !== 'string'
  ) {
    throw new TypeError(
      `source: expected a ModelFileSource { location, read(file) }, got ${source === null ? 'null' : typeof source}`,
    );
  }
}

function assertParts(parts: unknown): readonly ModelPart[] {
  const ok =
    Array.isArray(parts) &&
    parts.length > 0 &&
    parts.every((p) => (MODEL_PARTS as readonly unknown[]).includes(p)) &&
    new Set(parts).size === parts.length;
  if (!ok)
    throw new RangeError(`parts: expected a non-empty list of distinct encoder|decoder, got ${JSON.stringify(parts)}`);
  return MODEL_PARTS.filter((p) => (parts as unknown[]).includes(p));
}

/**
 * A loaded model directory: encoder and decoder sessions on one execution device, with validated
 * inputs. Browser-safe: file access goes through a {@link ModelFileSource} and sessions through a
 * registered {@link Backend}.
 */
export class VaeModel {
  private released = false;
  private rowBudget: number | undefined;
  private scorerChecks: ModelVerification['outputs'] = [];

  private constructor(
    /** The validated `manifest.json`. */
    readonly manifest: ModelManifest,
    /** Device the sessions run on. */
    readonly device: ExecutionDevice,
    /** Name of the backend that created the sessions. */
    readonly backend: string,
    /** Devices tried first that failed (session creation or golden check), with reasons. */
    readonly fallbacks: readonly DeviceFallback[],
    /** Where the model was loaded from. */
    readonly location: string,
    private readonly encoder: BackendSession | null,
    private readonly decoder: BackendSession | null,
    /** Where to load the scorer graph from on first use (the manifest lists one), else null. */
    private readonly scorerSource: {
      readonly source: ModelFileSource;
      readonly backend: Backend;
      readonly threads: number | undefined;
    } | null,
    private readonly loadVerification: ModelVerification,
    private readonly golden: GoldenFile | null,
  ) {}

  /**
   * The golden check of this device: status, device and backend that ran the rows, max error per
   * output against its tolerance, and the devices left before this one with their reasons. The
   * scorer's rows are added when the scorer is first used.
   */
  get verification(): ModelVerification {
    const v = this.loadVerification;
    return this.scorerChecks.length === 0 ? v : { ...v, outputs: [...v.outputs, ...this.scorerChecks] };
  }

  /** The graphs this model opened (`encoder`, `decoder`, or only `decoder`). */
  get parts(): readonly ModelPart[] {
    return MODEL_PARTS.filter((p) => (p === 'encoder' ? this.encoder : this.decoder) !== null);
  }

  /** The scorer session, loaded on first use (a browser downloads `scorer.onnx` only when needed). */
  private scorer: Promise<BackendSession | null> | null = null;

  /**
   * The scorer session: file read and checksum-verified (a mismatch rejects), session created on
   * this model's device (a device that cannot run it, or fails its golden rows, logs a warning and
   * resolves to null: the JavaScript path is used) and its signature checked against the manifest.
   */
  private scorerSession(): Promise<BackendSession | null> {
    const from = this.scorerSource;
    const info = this.manifest.graphs.scorer;
    if (!from || !info) return Promise.resolve(null);
    this.scorer ??= (async () => {
      const bytes = await readChecked(from.source, info, 'scorer');
      let session: BackendSession;
      try {
        session = (
          await createSessionWithBackend(bytes, {
            device: this.device,
            ...(from.threads === undefined ? { workload: 'batch' as const } : { threads: from.threads }),
            backends: [from.backend],
          })
        ).session;
      } catch (err) {
        log.warn(
          `${info.file} does not run on ${this.device} (${from.backend.name}): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}; logLikelihood evaluates in JavaScript`,
        );
        return null;
      }
      try {
        checkGraphSignature('scorer', this.manifest, {
          inputs: session.inputMetadata,
          outputs: session.outputMetadata,
        });
      } catch (err) {
        await session.release();
        throw err;
      }
      return this.checkScorer(session, from.backend);
    })();
    return this.scorer;
  }

  /** Runs the scorer's golden rows (when the load checked the others): a failure releases it (null). */
  private async checkScorer(session: BackendSession, backend: Backend): Promise<BackendSession | null> {
    if (!this.golden?.cases.scorer || this.loadVerification.status === 'skipped') return session;
    let why: string;
    try {
      const checks = await checkGoldenGraph(this.golden, 'scorer', session, deviceArithmetic(backend, this.device));
      this.scorerChecks = checks;
      if (checks.every((c) => c.pass)) return session;
      why = describeGoldenFailure(checks);
    } catch (err) {
      why = `golden rows failed to run: ${err instanceof Error ? err.message : String(err)}`;
    }
    log.warn(`${this.manifest.graphs.scorer!.file} on ${this.device}: ${why}; logLikelihood evaluates in JavaScript`);
    await session.release();
    return null;
  }

  /**
   * Reads and validates `manifest.json`, checks size and SHA-256 of the graphs of `parts` (and of
   * the golden file when verifying), opens them on the first device of the request that creates the
   * sessions and passes the golden check (see {@link VaeModelLoadOptions.verify}), and checks each
   * graph's real signature, as its session reports it, against the manifest (names, types, ranks,
   * latentDim, imageShape, numClasses): a mismatch refuses to load with a {@link GraphSignatureError}.
   */
  static async load(source: ModelFileSource, o: VaeModelLoadOptions = {}): Promise<VaeModel> {
    assertModelSource(source);
    const device = o.device ?? 'auto';
    assertDeviceRequest(device, 'device', o.backends);
    if (o.threads !== undefined) assertInteger(o.threads, 'threads', 1, 1024);
    const verify = o.verify ?? device === 'auto';
    if (verify !== true && verify !== false && verify !== 'warn')
      throw new TypeError(`verify: expected true|false|'warn', got ${JSON.stringify(verify)}`);
    const parts = assertParts(o.parts ?? MODEL_PARTS);
    const opened = await openModel(source, {
      device,
      verify,
      parts,
      ...(o.threads === undefined ? {} : { threads: o.threads }),
      ...(o.backends ? { backends: o.backends } : {}),
    });
    const { manifest, attempt, sessions } = opened;
    const scorer =
      manifest.graphs.scorer && sessions.encoder ? { source, backend: attempt.backend, threads: o.threads } : null;
    const v = opened.verification;
    log.info(
      `loaded ${manifest.name} (${manifest.kind}, ${manifest.precision}; ${parts.join('+')}) from ${source.location} on ${attempt.device} (${attempt.backend.name}); golden check ${v.status}${v.status === 'passed' ? ` in ${v.ms.toFixed(1)} ms` : ''}`,
    );
    return new VaeModel(
      manifest,
      attempt.device,
      attempt.backend.name,
      opened.fallbacks,
      source.location,
      sessions.encoder ?? null,
      sessions.decoder ?? null,
      scorer,
      v,
      opened.golden,
    );
  }

  /** Flat input size `H·W·C`. */
  get inputSize(): number {
    const [h, w, c] = this.manifest.imageShape;
    return h * w * c;
  }

  /** Latent dimension L. */
  get latentDim(): number {
    return this.manifest.latentDim;
  }

  /** Number of classes of the one-hot label (conditional models), else 0. */
  get numClasses(): number {
    return this.manifest.numClasses;
  }

  /** Whether the encoder returns μ and log σ². */
  get variational(): boolean {
    return this.manifest.variational;
  }

  /** Runs the encoder: `{ mu, logvar }` (variational) or `{ z }`, each `[batch, L]`. */
  async encode(x: Tensor, y?: Tensor): Promise<EncodeResult> {
    const n = this.checkBatch(x, this.inputSize, 'x');
    const feeds = this.feeds('x', x, y, n);
    const names = this.manifest.graphs.encoder.outputs.map((t) => t.name);
    const out = await this.runSession(this.session('encoder'), feeds, 'encoder');
    if (this.manifest.variational) {
      return {
        mu: this.output(out, names[0]!, [n, this.latentDim]),
        logvar: this.output(out, names[1]!, [n, this.latentDim]),
      };
    }
    return { z: this.output(out, names[0]!, [n, this.latentDim]) };
  }

  /** The embedding of each row: μ for variational models, the code `z` otherwise; `[batch, L]`. */
  async embed(x: Tensor, y?: Tensor): Promise<Tensor> {
    const e = await this.encode(x, y);
    return 'mu' in e ? e.mu : e.z;
  }

  /** Runs the decoder on latent codes `z` `[batch, L]`. */
  async decode(z: Tensor, y?: Tensor): Promise<DecodeResult> {
    const n = this.checkBatch(z, this.latentDim, 'z');
    const feeds = this.feeds(this.manifest.graphs.decoder.inputs[0]!.name, z, y, n);
    const names = this.manifest.graphs.decoder.outputs.map((t) => t.name);
    const out = await this.runSession(this.session('decoder'), feeds, 'decoder');
    const d = this.inputSize;
    return { logits: this.output(out, names[0]!, [n, d]), mean: this.output(out, names[1]!, [n, d]) };
  }

  /** `n` images decoded from the prior N(0, I)·temperature with `new Rng(seed)`; means `[n, D]`. */
  async sample(o: SampleOptions): Promise<Tensor> {
    if (o === null || typeof o !== 'object')
      throw new TypeError(`options: expected { n, seed, temperature?, y? }, got ${String(o)}`);
    assertInteger(o.n, 'n', 1);
    assertInteger(o.seed, 'seed', Number.MIN_SAFE_INTEGER);
    const temperature = o.temperature ?? 1;
    assertNumber(temperature, 'temperature', 0);
    const z = samplePrior(new Rng(o.seed), o.n, this.latentDim, temperature);
    return (await this.decode(z, o.y)).mean;
  }

  /** Decoded means of the embeddings of `x` (deterministic: decodes μ, not a sample); `[batch, D]`. */
  async reconstruct(x: Tensor, y?: Tensor): Promise<Tensor> {
    return (await this.decode(await this.embed(x, y), y)).mean;
  }

  /**
   * Decoded means along the latent path between the embeddings of two images.
   * @param x0 `[D]` or `[1, D]`. @param x1 same. @param steps points, endpoints included (≥ 2).
   * @returns `[steps, D]`.
   */
  async interpolate(x0: Tensor, x1: Tensor, steps: number, o: InterpolateOptions = {}): Promise<Tensor> {
    const d = this.inputSize;
    const a = asRow(x0, d, 'x0');
    const b = asRow(x1, d, 'x1');
    assertInteger(steps, 'steps', 2, 1_000_000);
    const y = o.y === undefined ? undefined : asRow(o.y, this.numClasses, 'y');
    const ends = await this.embed(
      { data: Float32Array.from([...a.data, ...b.data]), shape: [2, d] },
      y ? repeatRow(y, 2) : undefined,
    );
    const l = this.latentDim;
    const z0: Tensor = { data: ends.data.slice(0, l), shape: [l] };
    const z1: Tensor = { data: ends.data.slice(l, 2 * l), shape: [l] };
    const path = o.spherical ? slerp(z0, z1, steps) : lerp(z0, z1, steps);
    return (await this.decode(path, y ? repeatRow(y, steps) : undefined)).mean;
  }

  /**
   * Single-sample ELBO per example in nats (`log p(x|z) − KL`, one z ~ q(z|x) drawn with
   * `new Rng(seed)`), computed by core's loss layer; rows run in batches of at most `rowsPerRun`
   * (default: core's `rowsPerRunFor(spec)`; the result does not depend on it).
   */
  async elbo(
    x: Tensor,
    o: { readonly seed: number; readonly y?: Tensor; readonly rowsPerRun?: number },
  ): Promise<Float64Array> {
    this.requireVariational('elbo');
    if (o === null || typeof o !== 'object')
      throw new TypeError(`options: expected { seed, y?, rowsPerRun? }, got ${String(o)}`);
    assertInteger(o.seed, 'seed', Number.MIN_SAFE_INTEGER);
    if (o.rowsPerRun !== undefined) assertInteger(o.rowsPerRun, 'rowsPerRun', 1);
    return elboVia(this, this.manifest, x, { ...o, rowsPerRun: o.rowsPerRun ?? this.defaultRowsPerRun() });
  }

  /**
   * Importance-sampled estimate of log p(x) per example in nats, with K = `samples`. Runs the
   * model's scorer graph when it has one (exported models since the scorer was added; one session
   * run per call of core's `planSampleRuns`: about `rowsPerRun` decoded rows, or all examples ×
   * `chunkSize` samples), else decodes and evaluates the likelihood in JavaScript
   * (`logLikelihoodVia`, the reference). Both draw the same ε from `new Rng(seed)`.
   */
  async logLikelihood(x: Tensor, options: LogLikelihoodOptions): Promise<Float64Array> {
    let o = options;
    this.requireVariational('logLikelihood');
    if (o === null || typeof o !== 'object')
      throw new TypeError(`options: expected { samples, seed, chunkSize?, rowsPerRun?, y? }, got ${String(o)}`);
    assertInteger(o.samples, 'samples', 1);
    assertInteger(o.seed, 'seed', Number.MIN_SAFE_INTEGER);
    if (o.chunkSize !== undefined) assertInteger(o.chunkSize, 'chunkSize', 1);
    if (o.rowsPerRun !== undefined) assertInteger(o.rowsPerRun, 'rowsPerRun', 1);
    if (o.beforeChunk !== undefined && typeof o.beforeChunk !== 'function')
      throw new TypeError(`beforeChunk: expected a function, got ${typeof o.beforeChunk}`);
    const before = o.beforeChunk ?? (() => undefined);
    if (o.chunkSize === undefined && o.rowsPerRun === undefined) o = { ...o, rowsPerRun: this.defaultRowsPerRun() };
    const scorer = await this.scorerSession();
    if (!scorer) {
      const f = {
        encode: (v: Tensor, y?: Tensor) => this.encode(v, y),
        decode: async (z: Tensor, y?: Tensor) => (await before(), this.decode(z, y)),
      };
      return logLikelihoodVia(f, this.manifest, x, o);
    }
    const e = await this.encode(x, o.y);
    if (!('mu' in e))
      throw new TypeError('logLikelihood: expected a variational encoder (mu, logvar), got one returning z');
    const { y } = o;
    return scoredLogLikelihood({
      x,
      mu: e.mu,
      logvar: e.logvar,
      samples: o.samples,
      ...(o.chunkSize === undefined ? {} : { chunkSize: o.chunkSize }),
      ...(o.rowsPerRun === undefined ? {} : { rowsPerRun: o.rowsPerRun }),
      rng: new Rng(o.seed),
      likelihood: this.manifest.likelihood,
      sigma: this.manifest.gaussianSigma,
      score: async (eps, _c, { start, count }) => {
        await before();
        const rows = (t: Tensor) => sliceRows(t, start, start + count);
        const feeds = { x: rows(x), mu: rows(e.mu), logvar: rows(e.logvar), eps, ...(y ? { y: rows(y) } : {}) };
        return this.output(await this.runSession(scorer, feeds, 'scorer'), SCORER_OUTPUT, [count]).data;
      },
    });
  }

  /** Rows per run when the caller names neither `chunkSize` nor `rowsPerRun`: core's budget for this decoder. */
  private defaultRowsPerRun(): number {
    this.rowBudget ??= rowsPerRunFor(this.manifest.spec);
    return this.rowBudget;
  }

  /**
   * Whether the model has a scorer graph (loaded on the first {@link VaeModel.logLikelihood}, which
   * runs it, or evaluates in JavaScript when this device cannot).
   */
  get hasScorer(): boolean {
    return this.scorerSource !== null;
  }

  /** Frees both sessions; later calls reject. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const scorer = await this.scorer?.catch(() => null);
    await Promise.all([this.encoder?.release(), this.decoder?.release(), scorer?.release()]);
  }

  /** The session of `part`; throws naming `parts` when the model was loaded without it. */
  private session(part: ModelPart): BackendSession {
    const s = part === 'encoder' ? this.encoder : this.decoder;
    if (s) return s;
    throw new Error(
      `parts: expected ${part} among the loaded parts to run it, got [${this.parts.join(', ')}] (load with parts: ['encoder', 'decoder'])`,
    );
  }

  private requireVariational(method: string): void {
    if (!this.manifest.variational) {
      throw new TypeError(
        `${method}: expected a variational model (vae|beta-vae|cvae), got kind ${JSON.stringify(this.manifest.kind)}`,
      );
    }
  }

  private checkBatch(t: Tensor, width: number, name: string): number {
    if (this.released) throw new Error(`${this.manifest.name}: model was released`);
    assertShape(t, [null, width], name);
    const n = t.shape[0]!;
    if (n < 1) throw new RangeError(`${name}: expected at least 1 row, got 0`);
    assertFiniteFast(t, name);
    return n;
  }

  private feeds(inputName: string, t: Tensor, y: Tensor | undefined, n: number): Record<string, Tensor> {
    const k = this.numClasses;
    if (k === 0) {
      if (y !== undefined)
        throw new RangeError(
          `y: expected no label for unconditional kind ${JSON.stringify(this.manifest.kind)}, got a tensor`,
        );
      return { [inputName]: t };
    }
    if (y === undefined)
      throw new RangeError(
        `y: expected one-hot labels [${n}, ${k}] for conditional kind ${JSON.stringify(this.manifest.kind)}, got undefined`,
      );
    assertShape(y, [n, k], 'y');
    assertFiniteFast(y, 'y');
    return { [inputName]: t, y };
  }

  private runSession(
    session: BackendSession,
    feeds: Record<string, Tensor>,
    graph: string,
  ): Promise<Record<string, Tensor>> {
    if (this.released) return Promise.reject(new Error(`${this.manifest.name}: model was released`));
    // A plain promise chain, not an async function: one promise less per run on the b=1 latency path.
    return session.run(feeds).catch((err: unknown) => {
      throw new Error(`${graph} (${this.device}): run failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    });
  }

  private output(out: Record<string, Tensor>, name: string, shape: readonly number[]): Tensor {
    const t = out[name];
    if (!t) throw new Error(`output ${name}: expected from the graph, got only ${Object.keys(out).join(', ')}`);
    assertShape(t, shape, `output ${name}`);
    return t;
  }
}
