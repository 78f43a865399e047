import { createReadStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { contentType } from './content-types.js';
import { contentSize, siteContent, type SiteContent } from './site-content.js';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Serves the site's added files (models, runtime binaries, `site.json`, map sample) by site path. */
function serveContent(content: () => SiteContent): Middleware {
  return (req, res, next) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/+/, '');
    const file = content().files.get(path);
    if (file === undefined) return next();
    res.writeHead(200, {
      'content-type': contentType(path),
      'content-length': String(contentSize(file)),
      'cache-control': 'no-cache',
    });
    if (typeof file === 'string') createReadStream(file).pipe(res);
    else res.end(file);
  };
}

/**
 * Serves the files `pnpm demo:build` adds to the static site from `modelsDir` and node_modules,
 * for `vite` (dev) and `vite preview`, and prints the URL the dev server got. Parity is measured by
 * the build only: here every model directory is offered.
 */
export function sitePlugin(modelsDir: string): Plugin {
  let content: SiteContent | undefined;
  const get = (): SiteContent => {
    content ??= siteContent({ modelsDir });
    return content;
  };
  return {
    name: 'vae-demo-site',
    configureServer(server) {
      server.middlewares.use(serveContent(get));
      // Vite says when the configured port was taken; this names the page's URL on the port it got.
      server.httpServer?.once('listening', () => {
        const { port } = server.httpServer!.address() as AddressInfo;
        server.config.logger.info(`VAE demo: http://localhost:${port}/ (static build: pnpm demo:build)`);
      });
    },
    configurePreviewServer(server) {
      server.middlewares.use(serveContent(get));
    },
  };
}
