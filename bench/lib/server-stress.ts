import autocannon from 'autocannon';
import { measureHeavyRequest, type HeavyRequestFigures } from './heavy-request.js';

/** A server child process: its URL, model name and pid. */
export interface ServerChild {
  readonly url: string;
  readonly name: string;
  readonly pid: number;
}

/** One autocannon run: successful (2xx) requests per second and what else came back. */
export interface LoadFigures {
  readonly connections: number;
  readonly pipelining: number;
  readonly seconds: number;
  readonly successPerSecond: number;
  readonly ok: number;
  readonly status503: number;
  readonly otherNon2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
}

async function loadRun(
  url: string,
  body: string,
  seconds: number,
  connections: number,
  pipelining: number,
): Promise<LoadFigures> {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    pipelining,
    duration: seconds,
  });
  const status503 = (r.statusCodeStats as Record<string, { count: number } | undefined>)['503']?.count ?? 0;
  return {
    connections,
    pipelining,
    seconds: r.duration,
    successPerSecond: r['2xx'] / r.duration,
    ok: r['2xx'],
    status503,
    otherNon2xx: r.non2xx - status503,
    errors: r.errors,
    timeouts: r.timeouts,
    latencyMs: { p50: r.latency.p50, p99: r.latency.p99 },
  };
}

/**
 * Successful throughput under overload (512 connections × 8 pipelined requests, default server
 * limits) against the unsaturated rate (64 connections, no pipelining) on the same server, in
 * `rounds` interleaved pairs so that load from other processes hits both alike; `ratio` is the
 * median of the per-round ratios (goal ≥ 0.8).
 */
export async function measureOverload(
  child: ServerChild,
  body: string,
  seconds: number,
  rounds: number,
): Promise<{ rounds: { unsaturated: LoadFigures; overload: LoadFigures; ratio: number }[]; ratio: number }> {
  const url = `${child.url}/v2/models/${child.name}-encoder/infer`;
  await loadRun(url, body, 2, 64, 1);
  const out: { unsaturated: LoadFigures; overload: LoadFigures; ratio: number }[] = [];
  // The server still works off the admitted backlog for a moment after a run: let it finish.
  const settle = () => new Promise((r) => setTimeout(r, 3000));
  for (let i = 0; i < rounds; i++) {
    const unsaturated = await loadRun(url, body, seconds, 64, 1);
    await settle();
    const overload = await loadRun(url, body, seconds, 512, 8);
    await settle();
    out.push({ unsaturated, overload, ratio: overload.successPerSecond / unsaturated.successPerSecond });
  }
  const ratios = out.map((r) => r.ratio).sort((a, b) => a - b);
  const mid = Math.floor(ratios.length / 2);
  return { rounds: out, ratio: ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2 };
}

/**
 * The heavy-request case of issue 11 on a server with default limits: the 64 rows × K = 5000 ×
 * chunkSize 5000 request (refused by the work budget) and the largest request the default budget
 * allows (26 rows × K = 5000), each with the server's RSS and concurrent health-probe latency.
 */
export async function measureHeavy(
  child: ServerChild,
  rows: (n: number) => number[][],
): Promise<{ refused: HeavyRequestFigures; atBudget: HeavyRequestFigures }> {
  const o = { base: child.url, pid: child.pid, path: '/api/log-likelihood' };
  await measureHeavyRequest({ ...o, body: { x: rows(2), samples: 10, seed: 1 } });
  const refused = await measureHeavyRequest({ ...o, body: { x: rows(64), samples: 5000, chunkSize: 5000, seed: 1 } });
  const atBudget = await measureHeavyRequest({ ...o, body: { x: rows(26), samples: 5000, seed: 1 } });
  return { refused, atBudget };
}
