import { listRuntimes, type Runtime } from '@vae/core';
import type { OpenedRuntime, ParityHost, ParityRuntime, ParityRuntimeContext } from './parity-runtime.js';
import { ALL_RUNTIMES, type RuntimeName } from './runtime-names.js';

const runtimes = new Map<RuntimeName, ParityRuntime>();
const hosts = new Map<string, ParityHost>();

function assertParityRuntime(rt: unknown): asserts rt is ParityRuntime {
  const r = rt as Partial<ParityRuntime> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    typeof r.name !== 'string' ||
    !/^[\w.-]+(@[\w.-]+)?$/.test(r.name) ||
    typeof r.device !== 'string' ||
    (r.arithmetic !== 'exact' && r.arithmetic !== 'reassociated') ||
    typeof r.open !== 'function'
  ) {
    throw new TypeError(
      `runtime: expected { name: /[\\w.-]+(@host)?/, description, device, arithmetic: exact|reassociated, open() }, got ${JSON.stringify(rt)}`,
    );
  }
}

/** Registers (or replaces, keeping its place in the report order) the parity runtime `rt.name`. */
export function registerParityRuntime(rt: ParityRuntime): void {
  assertParityRuntime(rt);
  runtimes.set(rt.name, rt);
}

/** Registers (or replaces) the parity host `name` (`node`, `deno`, `chromium`, …). */
export function registerParityHost(name: string, host: ParityHost): void {
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name))
    throw new RangeError(`name: expected a host name like deno or firefox, got ${JSON.stringify(name)}`);
  if (host === null || typeof host !== 'object' || typeof host.open !== 'function')
    throw new TypeError(`host: expected { description, open() }, got ${JSON.stringify(host)}`);
  hosts.set(name, host);
}

/** The parity name of `runtime` on `device` under `host`: `<prefix>-<device>`, `@<host>` unless Node. */
export function parityName(prefix: string, device: string, host: string): RuntimeName {
  return host === 'node' ? `${prefix}-${device}` : `${prefix}-${device}@${host}`;
}

/** The parity runtimes a core runtime declares (`runtime.parity.hosts`), one per host × device. */
function derived(runtime: Runtime): ParityRuntime[] {
  const p = runtime.parity;
  if (!p) return [];
  return Object.entries(p.hosts).flatMap(([hostName, devices]) =>
    devices.map((device): ParityRuntime => {
      const info = runtime.deviceInfo?.[device];
      const graphHost = hosts.get(hostName);
      return {
        name: parityName(p.prefix, device, hostName),
        description: `${runtime.engine ?? runtime.name}, ${info?.label ?? device}, in ${hosts.get(hostName)?.description ?? hostName}`,
        device,
        arithmetic: info?.arithmetic ?? 'reassociated',
        open: (ctx: ParityRuntimeContext): Promise<OpenedRuntime> => {
          const host = hosts.get(hostName);
          if (!host) return Promise.reject(new Error(`no parity host ${hostName} is registered`));
          return host.open(ctx, runtime, device);
        },
        ...(graphHost?.openGraphs ? { openGraphs: (o) => graphHost.openGraphs!(runtime, device, o) } : {}),
      };
    }),
  );
}

/**
 * Every parity runtime in report order: those registered directly (TensorFlow.js), then, for each
 * runtime in core's registry that declares `parity`, one per host × device.
 */
export function listParityRuntimes(): ParityRuntime[] {
  const out = new Map(runtimes);
  for (const r of listRuntimes()) for (const d of derived(r)) if (!out.has(d.name)) out.set(d.name, d);
  return [...out.values()];
}

/** The parity runtime `name`; throws a `RangeError` naming `what` and the known names otherwise. */
export function getParityRuntime(name: unknown, what = 'runtime'): ParityRuntime {
  const all = listParityRuntimes();
  const found = all.find((r) => r.name === name);
  if (!found)
    throw new RangeError(`${what}: expected one of ${all.map((r) => r.name).join('|')}, got ${JSON.stringify(name)}`);
  return found;
}

/** Throws a `RangeError` naming `name` unless `value` is a registered parity runtime. */
export function assertRuntimeName(value: unknown, name = 'runtime'): asserts value is RuntimeName {
  getParityRuntime(value, name);
}

/** Opens runtime `name`; rejects when it is unknown or cannot run here. */
export async function openParityRuntime(name: RuntimeName, ctx: ParityRuntimeContext): Promise<OpenedRuntime> {
  return getParityRuntime(name, 'name').open(ctx);
}

/**
 * The runtimes a `--runtimes` list asks for, duplicates dropped, each checked against the registry (a
 * `RangeError` names `runtimes[i]`, the known names and the value); null when it asks for every
 * runtime (absent, empty or holding {@link ALL_RUNTIMES}).
 */
export function requestedRuntimes(names: readonly RuntimeName[] | undefined): RuntimeName[] | null {
  if (!names || names.length === 0 || names.includes(ALL_RUNTIMES)) return null;
  const requested = [...new Set(names)];
  requested.forEach((r, i) => getParityRuntime(r, `runtimes[${i}]`));
  return requested;
}
