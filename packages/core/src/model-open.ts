import { checkGraphSignature } from './graph-signature.js';
import {
  checkGoldenGraph,
  describeGoldenFailure,
  type GoldenOutputCheck,
  type ModelVerification,
} from './golden-check.js';
import { parseGoldenFile, type GoldenFile } from './golden-file.js';
import { getLogger } from './logger.js';
import { MANIFEST_FILE, type GoldenInfo, type ModelManifest } from './manifest.js';
import { parseManifest } from './manifest-validate.js';
import type { ModelFileSource } from './model-source.js';
import {
  attemptOptions,
  deviceArithmetic,
  deviceAttempts,
  noDeviceError,
  type DeviceAttempt,
  type DeviceFallback,
} from './runtime-registry.js';
import type { Backend, BackendSession, DeviceRequest } from './runtime-contract.js';
import { sha256Hex } from './sha256.js';

const log = getLogger('core:model');

/** A graph `VaeModel.load` can open: `parts: ['decoder']` reads and opens the decoder only. */
export type ModelPart = 'encoder' | 'decoder';
/** Every part, in load order. */
export const MODEL_PARTS: readonly ModelPart[] = Object.freeze(['encoder', 'decoder']);

/**
 * The golden check at load: `true` runs it and moves on to the next device (`auto`) or throws a
 * {@link GoldenCheckError} (a named device) when it fails; `'warn'` runs it and loads anyway,
 * logging a warning (`verification.status: 'failed'`); `false` skips it.
 */
export type VerifyOption = boolean | 'warn';

/** What {@link openModel} needs. */
export interface OpenModelOptions {
  readonly device: DeviceRequest;
  readonly threads?: number;
  readonly backends?: readonly Backend[];
  readonly verify: VerifyOption;
  readonly parts: readonly ModelPart[];
}

/** Sessions of the loaded parts on one device, with the golden check's result. */
export interface OpenedModel {
  readonly manifest: ModelManifest;
  readonly attempt: DeviceAttempt;
  readonly sessions: Readonly<Partial<Record<ModelPart, BackendSession>>>;
  readonly fallbacks: readonly DeviceFallback[];
  readonly verification: ModelVerification;
  /** The parsed golden set when the check ran (the scorer's rows are checked on its first use). */
  readonly golden: GoldenFile | null;
}

/** A golden check that failed on a device the caller named (or on every device `auto` tried). */
export class GoldenCheckError extends Error {
  override readonly name = 'GoldenCheckError';
  constructor(
    message: string,
    /** The failed check (outputs with their errors and tolerances). */
    readonly verification: ModelVerification,
  ) {
    super(message);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function parseJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${where}: expected JSON, got a parse error (${errorText(err)})`, { cause: err });
  }
}

/** Reads and validates `manifest.json` from `source`. */
export async function readManifest(source: ModelFileSource): Promise<ModelManifest> {
  let bytes: Uint8Array;
  try {
    bytes = await source.read(MANIFEST_FILE);
  } catch (err) {
    throw new Error(
      `model: expected a model directory with ${MANIFEST_FILE}, got ${source.location} (${errorText(err)})`,
      { cause: err },
    );
  }
  const json = parseJson(bytes, `${source.location}/${MANIFEST_FILE}`);
  try {
    return parseManifest(json);
  } catch (err) {
    throw new Error(`${source.location}/${MANIFEST_FILE}: ${errorText(err)}`, { cause: err });
  }
}

/** Reads `info.file` and checks its size and SHA-256 against the manifest (a mismatch throws). */
export async function readChecked(source: ModelFileSource, info: GoldenInfo, what: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await source.read(info.file);
  } catch (err) {
    throw new Error(`${what}: expected ${info.file} in ${source.location}, got ${errorText(err)}`, { cause: err });
  }
  if (bytes.length !== info.bytes)
    throw new Error(`${source.location}/${info.file}: expected ${info.bytes} bytes (manifest), got ${bytes.length}`);
  const digest = await sha256Hex(bytes);
  if (digest.toLowerCase() !== info.sha256.toLowerCase()) {
    throw new Error(
      `${source.location}/${info.file}: checksum mismatch: expected SHA-256 ${info.sha256} (manifest), got ${digest}`,
    );
  }
  return bytes;
}

/** The checked, parsed golden set named by the manifest. */
async function readGolden(source: ModelFileSource, info: GoldenInfo): Promise<GoldenFile> {
  const where = `${source.location}/${info.file}`;
  try {
    return parseGoldenFile(parseJson(await readChecked(source, info, 'golden'), where));
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(where)) throw err;
    throw new Error(`${where}: ${errorText(err)}`, { cause: err });
  }
}

async function releaseAll(sessions: Partial<Record<ModelPart, BackendSession>>): Promise<void> {
  await Promise.all(Object.values(sessions).map((s) => s.release().catch(() => undefined)));
}

/** Opens every part on `attempt`'s device; releases what it opened and rethrows on failure. */
async function openParts(
  attempt: DeviceAttempt,
  graphs: ReadonlyMap<ModelPart, Uint8Array>,
  threads: number | undefined,
): Promise<Partial<Record<ModelPart, BackendSession>>> {
  const sessions: Partial<Record<ModelPart, BackendSession>> = {};
  try {
    for (const [part, bytes] of graphs)
      sessions[part] = await attempt.backend.createSession(bytes, attemptOptions(attempt, { threads }));
    return sessions;
  } catch (err) {
    await releaseAll(sessions);
    throw err;
  }
}

/** Runs the golden rows of every opened part; a run that throws counts as a failed check. */
async function runGolden(
  golden: GoldenFile,
  sessions: Partial<Record<ModelPart, BackendSession>>,
  attempt: DeviceAttempt,
): Promise<{ outputs: GoldenOutputCheck[]; reason?: string }> {
  const arithmetic = deviceArithmetic(attempt.backend, attempt.device);
  const outputs: GoldenOutputCheck[] = [];
  try {
    for (const [part, session] of Object.entries(sessions))
      outputs.push(...(await checkGoldenGraph(golden, part as ModelPart, session, arithmetic)));
  } catch (err) {
    return { outputs, reason: `golden rows failed to run: ${errorText(err)}` };
  }
  return outputs.every((c) => c.pass) ? { outputs } : { outputs, reason: describeGoldenFailure(outputs) };
}

function verification(
  attempt: DeviceAttempt,
  fields: Pick<ModelVerification, 'status' | 'outputs' | 'fallbacks' | 'ms'> & { readonly reason?: string },
): ModelVerification {
  const { reason, ...rest } = fields;
  return {
    device: attempt.device,
    backend: attempt.backend.name,
    arithmetic: deviceArithmetic(attempt.backend, attempt.device),
    ...rest,
    ...(reason === undefined ? {} : { reason }),
  };
}

function skipReason(o: OpenModelOptions, manifest: ModelManifest): string | null {
  if (o.verify === false) return 'verify: false';
  if (!manifest.golden) return `${MANIFEST_FILE} names no golden file (exported before golden sets were written)`;
  return null;
}

/** What one device attempt needs besides the attempt itself. */
interface AttemptContext {
  readonly manifest: ModelManifest;
  readonly graphs: ReadonlyMap<ModelPart, Uint8Array>;
  readonly golden: GoldenFile | null;
  readonly skipped: string | null;
  readonly readMs: number;
  readonly o: OpenModelOptions;
}

/** Signatures of every opened part against the manifest; a mismatch releases them and throws. */
async function checkSignatures(
  manifest: ModelManifest,
  sessions: Partial<Record<ModelPart, BackendSession>>,
): Promise<void> {
  try {
    for (const [part, s] of Object.entries(sessions))
      checkGraphSignature(part as ModelPart, manifest, { inputs: s.inputMetadata, outputs: s.outputMetadata });
  } catch (err) {
    await releaseAll(sessions);
    throw err;
  }
}

/**
 * Opens and checks the parts on `attempt`: the opened model, or the reason to try the next device
 * (sessions failed, or the golden check failed under `auto`). Throws for a signature mismatch and
 * for a named device failing its check (unless `verify: 'warn'`).
 */
async function tryAttempt(
  attempt: DeviceAttempt,
  c: AttemptContext,
  fallbacks: readonly DeviceFallback[],
): Promise<OpenedModel | string> {
  let sessions: Partial<Record<ModelPart, BackendSession>>;
  try {
    sessions = await openParts(attempt, c.graphs, c.o.threads);
  } catch (err) {
    return errorText(err);
  }
  await checkSignatures(c.manifest, sessions);
  const t0 = performance.now();
  const checked = c.golden ? await runGolden(c.golden, sessions, attempt) : { outputs: [], reason: c.skipped! };
  const status = !c.golden ? 'skipped' : checked.reason === undefined ? 'passed' : 'failed';
  const ms = c.golden ? c.readMs + performance.now() - t0 : 0;
  const v = verification(attempt, { status, ...checked, fallbacks: [...fallbacks], ms });
  const opened = { manifest: c.manifest, attempt, sessions, fallbacks, verification: v, golden: c.golden };
  if (status !== 'failed') return opened;
  if (c.o.verify === 'warn') {
    log.warn(`${c.manifest.name} on ${attempt.device}: ${checked.reason} (verify: 'warn')`);
    return opened;
  }
  await releaseAll(sessions);
  if (!attempt.auto)
    throw new GoldenCheckError(
      `device: expected ${attempt.device} (${attempt.backend.name}) to reproduce the golden rows of ${c.manifest.name}, got ${checked.reason} (pass device: 'auto' to fall back, or verify: 'warn' to load anyway)`,
      v,
    );
  log.warn(`${c.manifest.name}: ${attempt.device} (${attempt.backend.name}) ${checked.reason}; trying the next device`);
  return checked.reason!;
}

/**
 * Reads the manifest and the graphs of `o.parts` (checksums), then tries each device of the request
 * in order: opens the parts, checks their signatures (a mismatch throws at once) and runs the golden
 * rows. A device whose sessions fail, or whose golden check fails under `auto`, is recorded with the
 * reason and the next one is tried; a named device failing its check throws {@link GoldenCheckError}
 * (unless `verify: 'warn'`). Throws one combined error when no device is left.
 */
export async function openModel(source: ModelFileSource, o: OpenModelOptions): Promise<OpenedModel> {
  const manifest = await readManifest(source);
  const graphs = new Map<ModelPart, Uint8Array>();
  for (const part of o.parts) graphs.set(part, await readChecked(source, manifest.graphs[part], part));
  const skipped = skipReason(o, manifest);
  const t0 = performance.now();
  const golden = skipped === null ? await readGolden(source, manifest.golden!) : null;
  const context: AttemptContext = { manifest, graphs, golden, skipped, readMs: performance.now() - t0, o };
  const fallbacks: DeviceFallback[] = [];
  for (const attempt of deviceAttempts(o.device, o.backends)) {
    const result = await tryAttempt(attempt, context, fallbacks);
    if (typeof result !== 'string') return result;
    fallbacks.push({ device: attempt.device, backend: attempt.backend.name, reason: result });
  }
  const what = `load ${manifest.name}${golden ? ' (open its sessions and pass its golden check)' : ''}`;
  throw noDeviceError(o.device, fallbacks, what);
}
