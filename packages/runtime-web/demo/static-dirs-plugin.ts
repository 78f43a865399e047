import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
});

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Serves files under `dir` for URLs under the mount path (no directory listing, no `..`). */
function serveDir(dir: string): Middleware {
  const root = resolve(dir);
  return (req, res, next) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const file = resolve(root, `.${path}`);
    if (!file.startsWith(root + sep)) return next();
    let size: number;
    try {
      const s = statSync(file);
      if (!s.isFile()) return next();
      size = s.size;
    } catch {
      return next();
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(size),
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  };
}

/**
 * A Vite plugin mounting folders outside the demo root, for both `vite` (dev) and `vite preview`:
 * e.g. `{ '/models': '<repo>/models', '/ort': '<onnxruntime-web>/dist' }`.
 */
export function staticDirs(mounts: Readonly<Record<string, string>>): Plugin {
  const install = (use: (path: string, handler: Middleware) => void): void => {
    for (const [path, dir] of Object.entries(mounts)) use(path, serveDir(dir));
  };
  return {
    name: 'vae-static-dirs',
    configureServer(server) {
      install((path, handler) => server.middlewares.use(path, handler));
    },
    configurePreviewServer(server) {
      install((path, handler) => server.middlewares.use(path, handler));
    },
  };
}
