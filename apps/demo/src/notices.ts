import type { SiteManifest } from './site-types.js';
import type { WorkerModelInfo } from './worker-protocol.js';

/** Why the page runs on WASM instead of WebGPU, in plain words (null when it runs on WebGPU or WASM was asked for). */
export function deviceNotice(info: WorkerModelInfo): string | null {
  if (info.device !== 'wasm') return null;
  const skipped = info.fallbacks.find((f) => f.device === 'webgpu');
  if (!skipped) return null;
  const r = skipped.reason;
  let why: string;
  if (/software fallback adapter/.test(r))
    why = `this browser's WebGPU draws on the CPU (${/\(([^)]*)\)/.exec(r)?.[1] ?? 'a software adapter'}), which is slower than WASM for a model this small`;
  else if (/navigator\.gpu|not available|unavailable/i.test(r)) why = 'this browser does not offer WebGPU';
  else why = `WebGPU failed to start (${r})`;
  return `Using WASM (CPU) because ${why}. Choose "webgpu" under Technical details to try it anyway.`;
}

/** The model's precision in a few words, for the status line. */
export function precisionShort(site: SiteManifest, model: string): string {
  const m = site.models.find((x) => x.name === model);
  if (!m || m.precision === 'fp32') return 'fp32 weights';
  return m.parity ? `${m.precision} weights, within tolerance of fp32` : `${m.precision} weights`;
}

/** How the model's precision relates to the fp32 reference, with the measured numbers. */
export function precisionNote(site: SiteManifest, model: string): string {
  const m = site.models.find((x) => x.name === model);
  if (!m || m.precision === 'fp32') return 'fp32 weights';
  if (!m.parity) return `${m.precision} weights (parity not measured: dev server)`;
  const p = m.parity;
  return `${m.precision} weights: decoder ${p.output} within ${p.maxAbs.toFixed(3)} of ${p.reference} on ${p.rows} seeded codes (tolerance ${p.tolerance.abs} + ${p.tolerance.rel}·|ref|)`;
}

/** The error for a `?model=` the site does not offer, naming the ones it does. */
export function unknownModelMessage(site: SiteManifest, name: string): string {
  const list = site.models.map((m) => `${m.name} (${m.precision})`).join(', ');
  return `There is no model called "${name}" on this site. Available: ${list}. Pick one below or remove ?model= from the address.`;
}
