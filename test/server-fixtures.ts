import type { Tensor } from '@vae/core';

/** JSON POST to a running server; resolves to status, headers and the parsed body. */
export async function postJson(
  url: string,
  body: unknown,
  raw?: string,
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
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

/**
 * Writes `text` to a raw TCP connection to `base` and resolves with everything the server sends
 * until it closes the connection, or until `untilMatch` matches what arrived (then it closes).
 */
export async function rawExchange(base: string, text: string, untilMatch?: RegExp): Promise<string> {
  const { connect } = await import('node:net');
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    let got = '';
    const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (untilMatch?.test(got)) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
}

/** Status code and parsed JSON body of a raw HTTP/1.1 response text. */
export function parseRawResponse(text: string): { status: number; headers: Record<string, string>; body: any } {
  const [head, ...rest] = text.split('\r\n\r\n');
  const [statusLine, ...lines] = head!.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  const body = rest.join('\r\n\r\n');
  return { status: Number(statusLine!.split(' ')[1]), headers, body: body.length ? JSON.parse(body) : null };
}

/** One request through `node:http` (any method and headers, `Host` included); the body parsed as JSON when there is one. */
export async function httpRequest(
  base: string,
  o: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
  const { request } = await import('node:http');
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: o.method ?? 'GET', path: o.path, headers: o.headers ?? {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: text.length ? JSON.parse(text) : null }),
        );
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Polls `/metrics` until `vae_queue_depth{model=name}` equals `depth`. */
export async function waitForQueueDepth(
  base: string,
  name: string,
  depth: number,
  headers: Record<string, string> = {},
): Promise<void> {
  for (;;) {
    const text = await (await fetch(`${base}/metrics`, { headers })).text();
    if (metricValue(text, 'vae_queue_depth', { model: name }) === depth) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A `vae serve` child process (the real CLI) and the base URL it printed. */
export interface ServeProcess {
  readonly proc: import('node:child_process').ChildProcess;
  readonly base: string;
  readonly exited: Promise<number | null>;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** Starts `vae serve <args>`; resolves once it prints its URL, rejects (with its stderr) if it exits first. */
export async function startServe(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ServeProcess> {
  const { spawn } = await import('node:child_process');
  const bin = new URL('../packages/cli/bin/vae.js', import.meta.url).pathname;
  const proc = spawn(process.execPath, [bin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) =>
      reject(Object.assign(new Error(`vae serve exited with ${code}: ${stderr}`), { code, stderr, stdout })),
    );
  });
  return { proc, base, exited, stdout: () => stdout, stderr: () => stderr };
}
