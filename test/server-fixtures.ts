import type { Tensor } from '@vae/core';

/** JSON POST to a running server; resolves to status, headers and the parsed body. */
export async function postJson(url: string, body: unknown, raw?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text.length ? JSON.parse(text) : null, headers: res.headers };
}

/** GET returning status and the parsed JSON body. */
export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text.length ? JSON.parse(text) : null };
}

/** A V2 FP32 input tensor for `t` (flat data). */
export function v2Input(name: string, t: Tensor): { name: string; shape: number[]; datatype: string; data: number[] } {
  return { name, shape: [...t.shape], datatype: 'FP32', data: Array.from(t.data) };
}

/** Rows of `[n, W]` as nested arrays. */
export function nested(t: Tensor): number[][] {
  const w = t.shape[1]!;
  return Array.from({ length: t.shape[0]! }, (_, i) => Array.from(t.data.subarray(i * w, (i + 1) * w)));
}

/** Value of a Prometheus sample line `name{labels} value` whose labels include every `match` entry. */
export function metricValue(text: string, name: string, match: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) return Number(m[4]);
  }
  return undefined;
}
