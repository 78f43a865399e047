import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { contentType } from './content-types.js';

/** One response the server sent. */
export interface ServedResponse {
  /** URL path requested. */
  readonly path: string;
  readonly status: number;
  readonly encoding: 'br' | 'gzip' | 'identity';
  /** Body bytes sent (compressed when `encoding` is not identity; 0 for 304). */
  readonly bytes: number;
  /** Size of the uncompressed file (0 for 304 and 404). */
  readonly rawBytes: number;
}

/** A running {@link serveStatic} server. */
export interface StaticServer {
  readonly url: string;
  readonly port: number;
  /** Every response so far, in order (tests clear it between visits). */
  readonly responses: ServedResponse[];
  close(): Promise<void>;
}

const ENCODINGS = [
  { name: 'br', ext: '.br' },
  { name: 'gzip', ext: '.gz' },
] as const;

function resolveFile(root: string, urlPath: string): string | null {
  const file = resolve(root, `.${urlPath}`);
  if (file !== root && !file.startsWith(root + sep)) return null;
  if (!existsSync(file)) return null;
  const s = statSync(file);
  if (s.isDirectory()) return existsSync(join(file, 'index.html')) ? join(file, 'index.html') : null;
  return s.isFile() ? file : null;
}

/**
 * A small static file server for the built demo: sends `<file>.br`/`<file>.gz` when the client
 * accepts them and they exist, answers `If-None-Match` with 304, marks Vite's hashed `assets/` as
 * immutable and everything else `no-cache`. It records what it sent (for byte budgets in tests).
 */
export async function serveStatic(dir: string, o: { host?: string; port?: number } = {}): Promise<StaticServer> {
  const root = resolve(dir);
  const responses: ServedResponse[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const file = req.method === 'GET' || req.method === 'HEAD' ? resolveFile(root, path) : null;
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      responses.push({ path, status: 404, encoding: 'identity', bytes: 9, rawBytes: 0 });
      return;
    }
    const accepted = String(req.headers['accept-encoding'] ?? '');
    const enc = ENCODINGS.find((e) => new RegExp(`\\b${e.name}\\b`).test(accepted) && existsSync(file + e.ext));
    const sent = enc ? file + enc.ext : file;
    const raw = statSync(file);
    const size = statSync(sent).size;
    const etag = `"${raw.size.toString(16)}-${Math.trunc(raw.mtimeMs).toString(16)}-${enc?.name ?? 'id'}"`;
    const headers: Record<string, string> = {
      'content-type': contentType(file),
      'cache-control': path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag,
      vary: 'accept-encoding',
    };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      responses.push({ path, status: 304, encoding: enc ? enc.name : 'identity', bytes: 0, rawBytes: 0 });
      return;
    }
    if (enc) headers['content-encoding'] = enc.name;
    headers['content-length'] = String(size);
    res.writeHead(200, headers);
    responses.push({ path, status: 200, encoding: enc ? enc.name : 'identity', bytes: size, rawBytes: raw.size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(sent).pipe(res);
  };
  const server = createServer(handle);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}/`,
    port,
    responses,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
