import { getLogger } from './logger.js';
import {
  DEVICES,
  type Backend,
  type BackendSession,
  type DeviceRequest,
  type ExecutionDevice,
  type SessionOptions,
} from './runtime-contract.js';

const log = getLogger('core:backends');

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

/** The device requests {@link createSession} accepts, for messages and CLI choices. */
export const DEVICE_REQUESTS: readonly DeviceRequest[] = Object.freeze([
  'auto',
  ...(Object.keys(DEVICES) as ExecutionDevice[]),
]);

/** Throws a `RangeError` naming `name` unless `value` is `auto` or a known device. */
export function assertDeviceRequest(value: unknown, name = 'device'): asserts value is DeviceRequest {
  if (typeof value !== 'string' || !(DEVICE_REQUESTS as readonly string[]).includes(value)) {
    throw new RangeError(`${name}: expected one of ${DEVICE_REQUESTS.join('|')}, got ${JSON.stringify(value)}`);
  }
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
      `backend: expected { name: string, devices: ExecutionDevice[], createSession() }, got ${JSON.stringify(backend)}`,
    );
  }
  for (const d of b.devices) {
    if (!(d in DEVICES))
      throw new RangeError(
        `backend.devices: expected entries of ${Object.keys(DEVICES).join('|')}, got ${JSON.stringify(d)}`,
      );
  }
}

/**
 * Registers `backend` under its name (as onnxruntime's `js/common` does). Higher priority is tried
 * first by {@link createSession}; registering the same name again replaces the entry.
 */
export function registerBackend(backend: Backend, priority: number): void {
  assertBackend(backend);
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new RangeError(`priority: expected a finite number, got ${String(priority)}`);
  }
  registry.set(backend.name, { backend, priority, order: registrations++ });
  log.debug(`registered backend ${backend.name} (priority ${priority}; devices ${backend.devices.join(', ')})`);
}

/** Removes the backend registered as `name`; returns whether there was one. */
export function unregisterBackend(name: string): boolean {
  return registry.delete(name);
}

/** Registered backends, highest priority first (ties: first registered first). */
export function listBackends(): Backend[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority || a.order - b.order).map((r) => r.backend);
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

/** {@link createSession}, also returning the {@link Backend} object (to open sibling graphs on it). */
export async function createSessionWithBackend(
  model: Uint8Array,
  o: CreateSessionOptions,
): Promise<Omit<CreatedSession, 'backend'> & { backend: Backend }> {
  if (!(model instanceof Uint8Array) || model.length === 0) {
    throw new TypeError(
      `model: expected non-empty ONNX bytes (Uint8Array), got ${model instanceof Uint8Array ? 'an empty array' : typeof model}`,
    );
  }
  if (o === null || typeof o !== 'object')
    throw new TypeError(`options: expected { device, threads?, backends? }, got ${String(o)}`);
  assertDeviceRequest(o.device, 'device');
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1)) {
    throw new RangeError(`threads: expected a positive integer, got ${String(o.threads)}`);
  }
  const backends = o.backends ? [...o.backends] : listBackends();
  backends.forEach((b) => assertBackend(b));
  if (backends.length === 0) {
    throw new Error(
      'createSession: no backend is registered (call registerNodeBackend() from @vae/runtime-node or registerWebBackend() from @vae/runtime-web)',
    );
  }
  const auto = o.device === 'auto';
  const attempts: { backend: Backend; device: ExecutionDevice }[] = [];
  for (const backend of backends) {
    for (const device of backend.devices) {
      if (auto || device === o.device) attempts.push({ backend, device });
    }
  }
  if (attempts.length === 0) {
    const offered = backends.map((b) => `${b.name}: ${b.devices.join('|')}`).join('; ');
    throw new RangeError(
      `device: expected a device offered by a registered backend (${offered}), got ${JSON.stringify(o.device)}`,
    );
  }
  const fallbacks: DeviceFallback[] = [];
  for (const { backend, device } of attempts) {
    const options: ResolvedSessionOptions = {
      device,
      auto,
      ...(o.threads === undefined ? {} : { threads: o.threads }),
      ...(o.workload === undefined ? {} : { workload: o.workload }),
    };
    try {
      const session = await backend.createSession(model, options);
      if (fallbacks.length > 0)
        log.info(`using ${device} (${backend.name}); skipped ${fallbacks.map((f) => f.device).join(', ')}`);
      return { session, device, backend, fallbacks };
    } catch (err) {
      const reason = errorMessage(err);
      log.debug(`${backend.name} could not open ${device}: ${reason}`);
      fallbacks.push({ device, backend: backend.name, reason });
    }
  }
  const lines = fallbacks.map((f) => `  - ${f.device} (${f.backend}): ${f.reason}`).join('\n');
  throw new Error(`device ${o.device}: no execution device could create a session:\n${lines}`);
}
