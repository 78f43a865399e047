import { join, resolve } from 'node:path';
import { Rng, samplePrior, setLogLevel } from '@vae/core';
import { BROWSER_DRIVERS, toleranceFor, violations, type BrowserPage } from '@vae/parity';
import { loadModel } from '@vae/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecodeReply, DemoInfo } from '../apps/demo/src/demo-hook.js';
import { serveStatic, type StaticServer } from '../apps/demo/build/static-server.js';
import { checkScorers } from './scorer-check-fixture.js';
import { siteBuild } from './static-site-fixture.js';

const REPO = resolve(import.meta.dirname, '..');
/** CI installs every engine (.ci/run → scripts/setup.sh); elsewhere a missing one is skipped with its reason. */
const CI = process.env.CI === 'true';
const ENGINES = ['firefox', 'webkit'] as const;

/** Polls `document.body.dataset.state` until `ready`; rejects on `error` or after 120 s with the page's notice. */
async function waitReady(page: BrowserPage): Promise<DemoInfo> {
  const started = Date.now();
  for (;;) {
    const state = (await page.run(
      "() => [document.body.dataset.state ?? '', document.getElementById('notice')?.textContent ?? '']",
    )) as [string, string];
    if (state[0] === 'ready') break;
    if (state[0] === 'error' || Date.now() - started > 120_000)
      throw new Error(`page state ${state[0]}: ${state[1]}; errors: ${page.errors.join(' | ')}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return (await page.run('() => window.__vaeDemo.ready')) as DemoInfo;
}

describe('the static demo site in Firefox and WebKit (one launch each)', () => {
  let server: StaticServer;

  beforeAll(async () => {
    setLogLevel('warn');
    server = await serveStatic((await siteBuild()).outDir);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  for (const engine of ENGINES) {
    const missing = BROWSER_DRIVERS[engine]!.missing();
    it.skipIf(missing !== null && !CI)(
      `${engine}: reaches data-state="ready" on wasm, decodes and scores log p(x) (scorer.onnx) like onnxruntime-node${missing ? ` (skipped: ${missing})` : ''}`,
      async () => {
        const page = await BROWSER_DRIVERS[engine]!.open(server.url);
        try {
          const info = await waitReady(page);
          expect(info.device).toBe('wasm');
          const z = samplePrior(new Rng(5), 2, info.latentDim);
          const reply = (await page.run('(z, n) => window.__vaeDemo.decode(z, n)', [
            Array.from(z.data),
            2,
          ])) as DecodeReply;
          const node = await loadModel(join(REPO, 'models', info.model), { device: 'cpu' });
          const { mean } = await node.decode(z);
          await node.release();
          const tol = toleranceFor('x_mean', 'exact', 'exact', 'fp32');
          expect(reply.mean.length).toBe(mean.data.length);
          expect(violations(reply.mean, mean.data, tol).count, `${engine} vs onnxruntime-node cpu`).toBe(0);
          console.log(await checkScorers((fn, args) => page.run(fn, args), server.responses, engine, 'wasm'));
        } finally {
          await page.close();
        }
      },
      180_000,
    );
  }
});
