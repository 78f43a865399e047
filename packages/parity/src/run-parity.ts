import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { assertInteger, getLogger, rowsPerRunFor, type ModelManifest, type Precision } from '@vae/core';
import { readModelDirectory } from '@vae/onnx';
import { CheckpointMismatchError } from './checkpoint-provenance.js';
import { compareOutputs, type FlatOutputs } from './compare-outputs.js';
import type { OpenedRuntime, ParityRuntimeContext } from './parity-runtime.js';
import {
  INPUT_SOURCES,
  buildParityInputs,
  type ImageRows,
  type InputSource,
  type ParityInputs,
} from './parity-inputs.js';
import { bisectCandidate, bisectModels } from './bisect-models.js';
import { bisectProblem, type BisectResult } from './bisect.js';
import {
  PARITY_EXIT_CODES,
  PARITY_REPORT_SCHEMA,
  PARITY_REPORT_VERSION,
  exitCodeFor,
  type ParityReport,
  type RuntimeResult,
} from './parity-report.js';
import type { ParityRuntime } from './parity-runtime.js';
import { getParityRuntime, listParityRuntimes, requestedRuntimes } from './runtime-registry.js';
import type { RuntimeName } from './runtime-names.js';
import { comparisonPrecision, toleranceFor, type ToleranceOverride } from './tolerances.js';
import { tfjsReferenceOr } from './tfjs-runtimes.js';
import './parity-hosts.js';

const log = getLogger('parity');

/** Options of {@link runParity}. */
export interface ParityOptions {
  /** Model directory under test. */
  readonly modelDir: string;
  /** Model directory the reference runtime runs instead (`--reference-model`); default `modelDir`. */
  readonly referenceModelDir?: string | null;
  /** Training run folder for the TensorFlow.js runtimes; default: the model's parent when it holds a checkpoint. */
  readonly runDir?: string | null;
  /** Runtimes asked for; absent or `all` = every registered runtime, those that cannot start being skipped. */
  readonly runtimes?: readonly RuntimeName[];
  /** Treat `runtimes` as a selection rather than a demand: those that cannot start are skipped, not errors. */
  readonly skipUnavailable?: boolean;
  /** Reference runtime; default `tfjs-cpu` when `runDir` is given explicitly (`ort-node-cpu`, with a warning, where TensorFlow.js is not installed), else `ort-node-cpu`. */
  readonly reference?: RuntimeName;
  readonly inputs?: InputSource;
  /** Rows of x and z (default 64). */
  readonly batch?: number;
  readonly seed?: number;
  /** Importance samples K per example for log p(x) (default 64). */
  readonly samples?: number;
  readonly tolerances?: readonly ToleranceOverride[];
  readonly threads?: number;
  /** Loads the MNIST test images for `inputs: 'mnist'` (default: `@vae/train`'s dataset registry). */
  readonly loadImages?: () => Promise<ImageRows>;
  /**
   * Also bisect (`--bisect`): compare every intermediate tensor of the reference and of the one
   * candidate runtime (or of the two models) node by node, and report the first out of tolerance.
   */
  readonly bisect?: boolean;
  /** Path prefix of the bisect's repro files (`<prefix>.onnx`, `<prefix>.golden.json`); default a fresh temp folder. */
  readonly reproPrefix?: string;
}

/** Every output of one runtime, flattened to numbers, keyed by output name. */
type Outputs = FlatOutputs;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The run folder holding the model's training checkpoint: `<run>/model` → `<run>` when it has `checkpoint/`. */
export function detectRunDir(modelDir: string): string | null {
  const parent = dirname(resolve(modelDir));
  return existsSync(join(parent, 'checkpoint', 'checkpoint.json')) ? parent : null;
}

/**
 * Samples per example per run, the same on every runtime (the ε assignment depends on it): all K
 * when the decoder's budget allows (`rowsPerRunFor`), fewer for a large decoder.
 */
function parityChunkSize(manifest: ModelManifest, inputs: ParityInputs): number {
  const batch = inputs.x.shape[0]!;
  return Math.min(inputs.samples, Math.max(1, Math.floor(rowsPerRunFor(manifest.spec) / batch)));
}

async function computeOutputs(rt: OpenedRuntime, manifest: ModelManifest, inputs: ParityInputs): Promise<Outputs> {
  const out: Outputs = {};
  const enc = await rt.encode(inputs.x, inputs.y);
  if ('mu' in enc) {
    out.mu = enc.mu.data;
    out.logvar = enc.logvar.data;
  } else out.z = enc.z.data;
  const dec = await rt.decode(inputs.z, inputs.y);
  out.x_logits = dec.logits.data;
  out.x_mean = dec.mean.data;
  if (manifest.variational) {
    const y = inputs.y ? { y: inputs.y } : {};
    out.elbo = await rt.elbo(inputs.x, { seed: inputs.elboSeed, ...y });
    out.log_px = await rt.logLikelihood(inputs.x, {
      samples: inputs.samples,
      seed: inputs.isSeed,
      chunkSize: parityChunkSize(manifest, inputs),
      ...y,
    });
  }
  return out;
}

async function runOne(
  runtime: ParityRuntime,
  ctx: ParityRuntimeContext,
  inputs: ParityInputs,
): Promise<{ outputs: Outputs; detail: string; weights: Precision; seconds: number }> {
  const name = runtime.name;
  const started = performance.now();
  const rt = await runtime.open(ctx);
  try {
    const outputs = await computeOutputs(rt, ctx.manifest, inputs);
    return { outputs, detail: rt.detail, weights: rt.weights, seconds: (performance.now() - started) / 1000 };
  } finally {
    await rt.release().catch((err: unknown) => log.warn(`${name}: release failed: ${message(err)}`));
  }
}

function assertCompatible(a: ModelManifest, b: ModelManifest, where: string): void {
  const facts = (m: ModelManifest) =>
    JSON.stringify([m.imageShape, m.latentDim, m.numClasses, m.variational, m.likelihood, m.gaussianSigma]);
  if (facts(a) !== facts(b)) {
    throw new RangeError(
      `${where}: expected a model with the same image shape, latent size, classes and likelihood as --model, got ${facts(b)} vs ${facts(a)} [imageShape, latentDim, numClasses, variational, likelihood, sigma]`,
    );
  }
}

/**
 * Runs every requested (or available) runtime on identical seeded inputs and compares each output
 * with the reference runtime: error statistics and allclose violations per output. Never throws
 * for a runtime that cannot start: it is reported as skipped (not asked for) or error (asked for).
 */
export async function runParity(o: ParityOptions): Promise<ParityReport> {
  const modelDir = resolve(o.modelDir);
  const refModelDir = resolve(o.referenceModelDir ?? o.modelDir);
  const model = await readModelDirectory(modelDir);
  const refModel = refModelDir === modelDir ? model : await readModelDirectory(refModelDir);
  assertCompatible(model.manifest, refModel.manifest, '--reference-model');
  const requested = requestedRuntimes(o.runtimes);
  const explicitRun = o.runDir ? resolve(o.runDir) : null;
  const runDir = explicitRun ?? detectRunDir(modelDir);
  const reference = getParityRuntime(
    o.reference ?? (explicitRun ? await tfjsReferenceOr('ort-node-cpu') : 'ort-node-cpu'),
    'reference',
  );
  const sameModel = refModelDir === modelDir;
  const bisectWith = o.bisect ? bisectCandidate(reference, requested, sameModel) : null;
  const batch = assertInteger(o.batch ?? 64, 'batch', 1, 65_536);
  const seed = assertInteger(o.seed ?? 1, 'seed', 0, Number.MAX_SAFE_INTEGER - 2);
  const samples = assertInteger(o.samples ?? 64, 'samples', 1, 100_000);
  if (o.inputs !== undefined && !(o.inputs in INPUT_SOURCES)) {
    throw new RangeError(
      `inputs: expected one of ${Object.keys(INPUT_SOURCES).join('|')}, got ${JSON.stringify(o.inputs)}`,
    );
  }
  let images: ImageRows | undefined;
  if (o.inputs === 'mnist') {
    images = o.loadImages
      ? await o.loadImages()
      : await (async () => {
          const data = await import('@vae/data/node');
          return (await data.loadDataset('mnist')).test!;
        })();
  }
  const inputs = buildParityInputs(model.manifest, { batch, seed, samples, ...(images ? { images } : {}) });
  const threads = o.threads === undefined ? {} : { threads: o.threads };
  const ctx: ParityRuntimeContext = { modelDir, manifest: model.manifest, runDir, ...threads };
  const refCtx: ParityRuntimeContext = { modelDir: refModelDir, manifest: refModel.manifest, runDir, ...threads };
  const results: RuntimeResult[] = [];
  const problems: string[] = [];
  let bisect: BisectResult | undefined;

  log.info(`reference ${reference.name} on ${refModelDir}`);
  const place = (r: ParityRuntime) => ({ runtime: r.name, device: r.device, arithmetic: r.arithmetic });
  let ref: Awaited<ReturnType<typeof runOne>>;
  try {
    ref = await runOne(reference, refCtx, inputs);
  } catch (err) {
    if (err instanceof CheckpointMismatchError) throw err;
    const reason = message(err);
    problems.push(`reference ${reference.name} could not run: ${reason}`);
    results.push({
      ...place(reference),
      status: 'error',
      requested: true,
      reason,
      modelDir: refModelDir,
      outputs: [],
    });
    return finish();
  }
  if (sameModel) {
    results.push({
      ...place(reference),
      status: 'reference',
      requested: requested?.includes(reference.name) ?? false,
      detail: ref.detail,
      modelDir: refModelDir,
      seconds: ref.seconds,
      outputs: [],
    });
  }

  const candidates = listParityRuntimes().filter(
    (r) => (requested ? requested.includes(r.name) : true) && !(sameModel && r.name === reference.name),
  );
  for (const candidate of candidates) {
    const name = candidate.name;
    const asked = requested !== null && o.skipUnavailable !== true;
    log.info(`${name}: running`);
    let got: Awaited<ReturnType<typeof runOne>>;
    try {
      got = await runOne(candidate, ctx, inputs);
    } catch (err) {
      if (err instanceof CheckpointMismatchError) throw err;
      const reason = message(err);
      if (asked) problems.push(`${name} was requested but could not run: ${reason}`);
      else log.info(`${name}: skipped (${reason.replace(/:?\s*\n\s*(?:-\s*)?/g, ': ')})`);
      results.push({
        ...place(candidate),
        status: asked ? 'error' : 'skipped',
        requested: asked,
        reason,
        modelDir,
        outputs: [],
      });
      continue;
    }
    const precision = comparisonPrecision(got.weights, ref.weights);
    const toleranceOf = (output: string) =>
      toleranceFor(output, candidate.arithmetic, reference.arithmetic, precision, o.tolerances ?? []);
    const comparisons = compareOutputs(name, got.outputs, ref.outputs, toleranceOf, problems);
    const pass = comparisons.every((c) => c.pass);
    log.info(`${name}: ${pass ? 'pass' : 'FAIL'} (${got.seconds.toFixed(1)} s, ${got.detail})`);
    results.push({
      ...place(candidate),
      status: pass ? 'pass' : 'fail',
      requested: asked,
      detail: got.detail,
      modelDir,
      tolerancePrecision: precision,
      seconds: got.seconds,
      outputs: comparisons,
    });
  }
  if (!results.some((r) => r.status === 'pass' || r.status === 'fail'))
    log.warn('no runtime was compared with the reference');
  if (bisectWith) {
    bisect = await bisectModels({
      model,
      referenceModel: refModel,
      sameModel,
      reference,
      requested,
      inputs,
      precision: comparisonPrecision(model.manifest.precision, refModel.manifest.precision),
      reproPrefix: o.reproPrefix ?? join(await mkdtemp(join(tmpdir(), 'vae-bisect-')), 'bisect'),
      ...(o.tolerances ? { tolerances: o.tolerances } : {}),
      ...threads,
    });
    if (bisect.node) problems.push(bisectProblem(bisect));
  }
  return finish();

  function finish(): ParityReport {
    const exitCode = bisect?.node ? PARITY_EXIT_CODES.violation : exitCodeFor(results);
    return {
      schema: PARITY_REPORT_SCHEMA,
      version: PARITY_REPORT_VERSION,
      createdAt: new Date().toISOString(),
      model: {
        dir: modelDir,
        name: model.manifest.name,
        precision: model.manifest.precision,
        encoderSha256: model.manifest.graphs.encoder.sha256,
        decoderSha256: model.manifest.graphs.decoder.sha256,
      },
      referenceModel: { dir: refModelDir, name: refModel.manifest.name, precision: refModel.manifest.precision },
      reference: reference.name,
      runDir,
      inputs: { source: inputs.source, batch, seed, elboSeed: inputs.elboSeed, isSeed: inputs.isSeed, samples },
      runtimes: results,
      passed: exitCode === 0,
      exitCode,
      problems,
      ...(bisect ? { bisect } : {}),
    };
  }
}
