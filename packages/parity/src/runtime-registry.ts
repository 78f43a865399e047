import type { OpenedRuntime, ParityRuntimeContext } from './parity-runtime.js';
import { RUNTIMES, assertRuntimeName, type RuntimeName } from './runtime-names.js';

/** Opens one runtime on a model; rejects with the reason it cannot run here. */
export type RuntimeOpener = (ctx: ParityRuntimeContext) => Promise<OpenedRuntime>;

const openers = new Map<RuntimeName, RuntimeOpener>();

/** Registers (or replaces) how the runtime `name` is opened. */
export function registerParityRuntime(name: RuntimeName, opener: RuntimeOpener): void {
  assertRuntimeName(name, 'name');
  if (typeof opener !== 'function') throw new TypeError(`opener: expected a function, got ${typeof opener}`);
  openers.set(name, opener);
}

/** Opens runtime `name`; rejects when it has no opener or cannot run here. */
export async function openParityRuntime(name: RuntimeName, ctx: ParityRuntimeContext): Promise<OpenedRuntime> {
  assertRuntimeName(name, 'name');
  const opener = openers.get(name);
  if (!opener) throw new Error(`${name}: no opener registered for this runtime (${RUNTIMES[name].description})`);
  return opener(ctx);
}
