import { getLogger } from './logger.js';
import type {
  Backend,
  DeviceInfo,
  BackendSession,
  DeviceArithmetic,
  DeviceRequest,
  ExecutionDevice,
  Runtime,
  SessionOptions,
} from './runtime-contract.js';

const log = getLogger('core:runtimes');

/**
 * Options a backend receives from {@link createSession}. `auto` is true when the device is being
 * tried on behalf of a `device: 'auto'` request: a backend may then decline a device it knows to be
 * slower than the next one (e.g. a software WebGPU adapter) by rejecting with the reason.
 */
export interface ResolvedSessionOptions extends SessionOptions {
  readonly auto: boolean;
}

/** A device that was tried and failed before the one that was chosen (or all of them). */
export interface DeviceFallback {
  readonly device: ExecutionDevice;
  /** Backend that tried it. */
  readonly backend: string;
  readonly reason: string;
}

/** Result of {@link createSession}. */
export interface CreatedSession {
  readonly session: BackendSession;
  readonly device: ExecutionDevice;
  /** Name of the backend that created the session. */
  readonly backend: string;
  /** Devices tried first that failed, in the order tried. */
  readonly fallbacks: readonly DeviceFallback[];
}

/** Options of {@link createSession}. */
export interface CreateSessionOptions {
  readonly device: DeviceRequest;
  readonly threads?: number;
  /** What the session will run, for the backend's default threads (see `SessionOptions.workload`). */
  readonly workload?: 'latency' | 'batch';
  /** Backends to try (in this order); defaults to the registered ones by descending priority. */
  readonly backends?: readonly Backend[];
}

interface Registered {
  readonly backend: Backend;
  readonly priority: number;
  readonly order: number;
}

const registry = new Map<string, Registered>();
let registrations = 0;

/**
 * Devices offered by the registered runtimes (highest priority first, each once), or by `runtimes`.
 * This is the only device list: a device exists because a runtime offers it.
 */
export function listDevices(runtimes: readonly Runtime[] = listRuntimes()): ExecutionDevice[] {
  return [...new Set(runtimes.flatMap((r) => (Array.isArray(r?.devices) ? r.devices : [])))];
}

/** The device requests {@link createSession} accepts now: `auto` and {@link listDevices} (of `runtimes`). */
export function deviceRequests(runtimes?: readonly Runtime[]): DeviceRequest[] {
  return ['auto', ...listDevices(runtimes)];
}

/** What the first registered runtime offering `device` says about it, or undefined. */
export function deviceInfo(device: ExecutionDevice): DeviceInfo | undefined {
  for (const r of listRuntimes()) {
    const info = r.deviceInfo?.[device];
    if (info) return info;
  }
  return undefined;
}

/** Devices of `runtime` the ort trainer can train on, in its preferred order, with their notes. */
export function trainDevices(
  runtime: Pick<Runtime, 'devices' | 'deviceInfo'>,
): Readonly<Record<ExecutionDevice, string>> {
  const out: Record<ExecutionDevice, string> = {};
  for (const d of runtime.devices) {
    const note = runtime.deviceInfo?.[d]?.train;
    if (note !== undefined) out[d] = note;
  }
  return Object.freeze(out);
}

/**
 * Throws a `RangeError` naming `name` unless `value` is `auto` or a device of `runtimes` (default:
 * the registered ones; any non-empty name while there are none: `createSession` then says what is
 * missing).
 */
export function assertDeviceRequest(
  value: unknown,
  name = 'device',
  runtimes?: readonly Runtime[],
): asserts value is DeviceRequest {
  const known = deviceRequests(runtimes);
  const ok =
    typeof value === 'string' && value.length > 0 && (known.length === 1 || (known as string[]).includes(value));
  if (!ok) throw new RangeError(`${name}: expected one of ${known.join('|')}, got ${JSON.stringify(value)}`);
}

function assertBackend(backend: unknown): asserts backend is Backend {
  const b = backend as Partial<Backend> | null;
  if (
    b === null ||
    typeof b !== 'object' ||
    typeof b.name !== 'string' ||
    b.name.length === 0 ||
    !Array.isArray(b.devices) ||
    typeof b.createSession !== 'function'
  ) {
    throw new TypeError(
      `runtime: expected { name: string, devices: string[], createSession() }, got ${JSON.stringify(backend)}`,
    );
  }
  for (const d of b.devices) {
    if (typeof d !== 'string' || d.length === 0 || d === 'auto')
      throw new RangeError(`${b.name}.devices: expected device names other than auto, got ${JSON.stringify(d)}`);
  }
}

/**
 * Registers `runtime` under its name (as onnxruntime's `js/common` does). Higher priority is tried
 * first by {@link createSession}; `priority` defaults to `runtime.priority`, then 0. Registering the
 * same name again replaces the entry.
 */
export function registerRuntime(runtime: Runtime, priority = runtime.priority ?? 0): void {
  assertBackend(runtime);
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new RangeError(`priority: expected a finite number, got ${String(priority)}`);
  }
  const previous = registry.get(runtime.name);
  registry.set(runtime.name, { backend: runtime, priority, order: previous?.order ?? registrations++ });
  log.debug(`registered runtime ${runtime.name} (priority ${priority}; devices ${runtime.devices.join(', ')})`);
}

/** {@link registerRuntime} with an explicit priority (the name onnxruntime's js/common uses). */
export function registerBackend(backend: Backend, priority: number): void {
  registerRuntime(backend, priority);
}

/** Removes the runtime registered as `name`; returns whether there was one. */
export function unregisterBackend(name: string): boolean {
  return registry.delete(name);
}

/** Registered runtimes, highest priority first (ties: first registered first). */
export function listRuntimes(): Runtime[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority || a.order - b.order).map((r) => r.backend);
}

/** The runtime registered as `name`, or undefined. */
export function getRuntime(name: string): Runtime | undefined {
  return registry.get(name)?.backend;
}

/** {@link listRuntimes} (the name onnxruntime's js/common uses). */
export function listBackends(): Backend[] {
  return listRuntimes();
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Creates a session for ONNX `model` bytes. A concrete device is tried on every backend that lists
 * it; `auto` tries each backend's devices in its preferred order. The first session created wins;
 * when none can be created the Error lists every device tried with its reason.
 */
export async function createSession(model: Uint8Array, o: CreateSessionOptions): Promise<CreatedSession> {
  const { session, device, backend, fallbacks } = await createSessionWithBackend(model, o);
  return { session, device, backend: backend.name, fallbacks };
}

/** One (backend, device) pair {@link createSession} tries, in order. */
export interface DeviceAttempt {
  readonly backend: Backend;
  readonly device: ExecutionDevice;
  /** Whether it is tried for a `device: 'auto'` request. */
  readonly auto: boolean;
}

/**
 * The (backend, device) pairs a request for `device` tries, in order: a concrete device on every
 * backend that lists it; `auto` every backend's devices in its preferred order. `backends` defaults
 * to the registered ones by descending priority. Throws naming `device` when none offers it.
 */
export function deviceAttempts(device: DeviceRequest, backends?: readonly Backend[]): DeviceAttempt[] {
  const list = backends ? [...backends] : listBackends();
  list.forEach((b) => assertBackend(b));
  assertDeviceRequest(device, 'device', list);
  if (list.length === 0) {
    throw new Error(
      'createSession: no runtime is registered (import @vae/runtime-node or @vae/runtime-web and call its register function)',
    );
  }
  const auto = device === 'auto';
  const attempts = list.flatMap((backend) =>
    backend.devices.filter((d) => auto || d === device).map((d) => ({ backend, device: d, auto })),
  );
  if (attempts.length === 0) {
    const offered = list.map((b) => `${b.name}: ${b.devices.join('|')}`).join('; ');
    throw new RangeError(
      `device: expected a device offered by a registered backend (${offered}), got ${JSON.stringify(device)}`,
    );
  }
  return attempts;
}

/** The session options a backend receives for `attempt`. */
export function attemptOptions(
  attempt: DeviceAttempt,
  o: Pick<CreateSessionOptions, 'threads' | 'workload'>,
): ResolvedSessionOptions {
  return {
    device: attempt.device,
    auto: attempt.auto,
    ...(o.threads === undefined ? {} : { threads: o.threads }),
    ...(o.workload === undefined ? {} : { workload: o.workload }),
  };
}

/** The arithmetic `backend` declares for `device`; `reassociated` (the looser class) when it declares none. */
export function deviceArithmetic(backend: Backend, device: ExecutionDevice): DeviceArithmetic {
  return backend.deviceInfo?.[device]?.arithmetic ?? 'reassociated';
}

/** Throws a `TypeError`/`RangeError` naming the argument unless `model` and `o` are valid session requests. */
function assertSessionRequest(model: Uint8Array, o: CreateSessionOptions): void {
  if (!(model instanceof Uint8Array) || model.length === 0) {
    throw new TypeError(
      `model: expected non-empty ONNX bytes (Uint8Array), got ${model instanceof Uint8Array ? 'an empty array' : typeof model}`,
    );
  }
  if (o === null || typeof o !== 'object')
    throw new TypeError(`options: expected { device, threads?, backends? }, got ${String(o)}`);
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1)) {
    throw new RangeError(`threads: expected a positive integer, got ${String(o.threads)}`);
  }
}

/** {@link createSession}, also returning the {@link Backend} object (to open sibling graphs on it). */
export async function createSessionWithBackend(
  model: Uint8Array,
  o: CreateSessionOptions,
): Promise<Omit<CreatedSession, 'backend'> & { backend: Backend }> {
  assertSessionRequest(model, o);
  const fallbacks: DeviceFallback[] = [];
  for (const attempt of deviceAttempts(o.device, o.backends)) {
    const { backend, device } = attempt;
    try {
      const session = await backend.createSession(model, attemptOptions(attempt, o));
      if (fallbacks.length > 0)
        log.info(`using ${device} (${backend.name}); skipped ${fallbacks.map((f) => f.device).join(', ')}`);
      return { session, device, backend, fallbacks };
    } catch (err) {
      const reason = errorMessage(err);
      log.debug(`${backend.name} could not open ${device}: ${reason}`);
      fallbacks.push({ device, backend: backend.name, reason });
    }
  }
  throw noDeviceError(o.device, fallbacks);
}

/**
 * The combined error when every device tried failed, one line per device with its reason; `what`
 * the device could not do (default `create a session`).
 */
export function noDeviceError(
  device: DeviceRequest,
  fallbacks: readonly DeviceFallback[],
  what = 'create a session',
): Error {
  const lines = fallbacks.map((f) => `  - ${f.device} (${f.backend}): ${f.reason}`).join('\n');
  return new Error(`device ${device}: no execution device could ${what}:\n${lines}`);
}
