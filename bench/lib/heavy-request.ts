import { readFileSync } from 'node:fs';

/** Resident set size of process `pid` in MiB (Linux `/proc/<pid>/status`). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status: expected a VmRSS line, got none`);
  return Number(m[1]) / 1024;
}

/** What {@link measureHeavyRequest} saw. */
export interface HeavyRequestFigures {
  readonly status: number;
  readonly body: unknown;
  readonly seconds: number;
  /** Server RSS before the request, its peak while it ran (sampled every 20 ms), and 1 s after. */
  readonly rssMiB: { readonly before: number; readonly peak: number; readonly after: number };
  /** `GET /v2/health/live` probes sent every `probeEveryMs` while the request ran. */
  readonly probes: { readonly count: number; readonly ok: number; readonly p50Ms: number; readonly maxMs: number };
}

/**
 * Sends one expensive JSON POST to `base + path` on the server process `pid` and, meanwhile,
 * samples that process's RSS and probes `/v2/health/live`, each probe starting after the previous
 * one answered (so a blocked server shows as one long probe, not a pile of them).
 */
export async function measureHeavyRequest(o: {
  readonly base: string;
  readonly pid: number;
  readonly path: string;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  readonly probeEveryMs?: number;
}): Promise<HeavyRequestFigures> {
  const before = rssMiB(o.pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(o.pid))), 20);
  const latencies: number[] = [];
  let ok = 0;
  let done = false;
  const probing = (async () => {
    while (!done) {
      const t = performance.now();
      const res = await fetch(`${o.base}/v2/health/live`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t);
      if (res.status === 200) ok++;
      await new Promise((r) => setTimeout(r, o.probeEveryMs ?? 100));
    }
  })();
  const started = performance.now();
  const res = await fetch(`${o.base}${o.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...o.headers },
    body: JSON.stringify(o.body),
  });
  const body = (await res.json()) as unknown;
  const seconds = (performance.now() - started) / 1000;
  done = true;
  await probing;
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 1000));
  const after = rssMiB(o.pid);
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    status: res.status,
    body,
    seconds,
    rssMiB: { before, peak, after },
    probes: {
      count: latencies.length,
      ok,
      p50Ms: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    },
  };
}
