/** Environment variable naming the fault point at which the process kills itself (tests only). */
export const FAULT_POINT_ENV = 'VAE_FAULT_POINT';
/** Environment variable naming the signal a fault point sends instead of SIGKILL, e.g. `SIGINT` (tests only). */
export const FAULT_SIGNAL_ENV = 'VAE_FAULT_SIGNAL';

const hits = new Map<string, number>();

/**
 * Fault injection for crash-safety tests. When `VAE_FAULT_POINT` is `name` (or `name@N`: the N-th
 * time this process reaches `name`, 1-based), the process sends itself SIGKILL here: no cleanup, no
 * `finally`, no flushing, as a power cut or `kill -9` would; or the signal `VAE_FAULT_SIGNAL` names
 * (e.g. `SIGINT`, a user's Ctrl-C at that point), and goes on. A no-op when the variable is unset.
 */
export function faultPoint(name: string): void {
  const spec = process.env[FAULT_POINT_ENV];
  if (!spec) return;
  const at = spec.lastIndexOf('@');
  const target = at > 0 ? spec.slice(0, at) : spec;
  if (target !== name) return;
  const count = (hits.get(name) ?? 0) + 1;
  hits.set(name, count);
  const wanted = at > 0 ? Number(spec.slice(at + 1)) : 1;
  if (count === wanted) process.kill(process.pid, (process.env[FAULT_SIGNAL_ENV] as NodeJS.Signals) || 'SIGKILL');
}
