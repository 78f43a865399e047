import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel } from '@vae/core';
import { CHROMIUM_PATH } from '@vae/runtime-web/node';
import type { DemoInfo } from '../apps/demo/src/demo-hook.js';
import type { CanvasStats } from '../apps/demo/src/draw.js';
import { serveStatic, type StaticServer } from '../apps/demo/build/static-server.js';
import { openStaticSite, type SiteBuild, type StaticSite } from './static-site-fixture.js';

const REPO = resolve(import.meta.dirname, '..');
const ARTIFACTS = join(REPO, 'test-artifacts');
/** The budgets: first visit on wasm ≤ 16 MB raw, second visit ≤ 200 KB transferred. */
const FIRST_VISIT_RAW = 16_000_000;
const SECOND_VISIT = 200_000;

/** A page with console errors and page errors collected. */
async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  await page.goto(url);
  return { page, errors };
}

async function waitReady(page: Page, errors: string[]): Promise<DemoInfo> {
  await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 }).catch(async (err: unknown) => {
    const state = await page.evaluate(
      () => `${document.body.dataset.state}: ${document.getElementById('notice')?.textContent}`,
    );
    throw new Error(`page not ready (${state}); errors: ${errors.join(' | ')}; ${String(err)}`);
  });
  return page.evaluate(() => window.__vaeDemo!.ready);
}

/** Canvases whose on-screen aspect ratio differs from their pixel aspect ratio by more than 2 %. */
async function distorted(page: Page): Promise<string[]> {
  const stats: CanvasStats[] = await page.evaluate(() =>
    Array.from(document.querySelectorAll('canvas'), (c) => ({
      id: c.id,
      width: c.width,
      height: c.height,
      clientWidth: c.getBoundingClientRect().width,
      clientHeight: c.getBoundingClientRect().height,
      mean: 0,
      std: 0,
      levels: 0,
      colourPixels: 0,
    })),
  );
  return stats
    .filter((s) => s.width > 0 && s.clientHeight > 0)
    .filter((s) => Math.abs(s.clientWidth / s.clientHeight / (s.width / s.height) - 1) > 0.02)
    .map((s) => `#${s.id} ${s.width}×${s.height} shown ${s.clientWidth.toFixed(1)}×${s.clientHeight.toFixed(1)}`);
}

describe.skipIf(!existsSync(CHROMIUM_PATH))('the static demo site (pnpm demo:build) in real Chromium', () => {
  let site: SiteBuild;
  let server: StaticServer;
  let context: BrowserContext;
  let opened: StaticSite | undefined;
  const numbers: Record<string, unknown> = {};

  beforeAll(async () => {
    setLogLevel('warn');
    opened = await openStaticSite('demo', { width: 1280, height: 900 });
    ({ site, server, context } = opened);
  });

  afterAll(async () => {
    await opened?.close();
    if (Object.keys(numbers).length > 0) console.log(`demo site: ${JSON.stringify(numbers)}`);
  });

  it('ships exactly the ORT binaries it may load, precompressed, and offers int8 within tolerance', () => {
    const paths = site.files.map((f) => f.path);
    expect(paths.filter((p) => p.endsWith('.wasm')).sort()).toEqual([
      'ort/ort-wasm-simd-threaded.asyncify.wasm',
      'ort/ort-wasm-simd-threaded.wasm',
    ]);
    for (const f of site.files)
      expect(existsSync(join(site.outDir, `${f.path}.br`)) && existsSync(join(site.outDir, `${f.path}.gz`))).toBe(true);
    const { manifest } = site;
    const int8 = manifest.models.find((m) => m.precision === 'int8');
    expect(int8?.parity?.violations).toBe(0);
    expect(manifest.defaultModel).toBe(int8!.name);
  });

  it('first visit ≤ 16 MB raw on wasm, second ≤ 200 KB; the model runs in a worker; no console errors', async () => {
    server.responses.length = 0;
    const first = await openPage(context, server.url);
    const info = await waitReady(first.page, first.errors);
    expect(info.device).toBe('wasm');
    expect(info.verification).toMatch(/^passed on wasm \(onnxruntime-web, exact\) in [\d.]+ ms: max \|Δ\| mu /);
    expect(await first.page.textContent('#verification')).toBe(info.verification);
    expect(info.inWorker).toBe(true);
    expect(first.page.workers().length).toBe(1);
    expect(info.files.every((f) => f.source === 'network')).toBe(true);
    const firstRaw = server.responses.reduce((n, r) => n + r.rawBytes, 0);
    const firstSent = server.responses.reduce((n, r) => n + r.bytes, 0);
    expect(server.responses.filter((r) => /asyncify|webgpu/.test(r.path))).toEqual([]);
    expect(firstRaw).toBeLessThanOrEqual(FIRST_VISIT_RAW);
    expect(first.errors).toEqual([]);
    const firstGridMs = Number(await first.page.evaluate(() => document.body.dataset.firstGridMs));
    await first.page.close();

    server.responses.length = 0;
    const second = await openPage(context, server.url);
    const again = await waitReady(second.page, second.errors);
    expect(
      again.files.filter((f) => f.path.endsWith('.onnx') || f.path.endsWith('.wasm')).map((f) => f.source),
    ).toEqual(['cache', 'cache', 'cache']);
    const secondSent = server.responses.reduce((n, r) => n + r.bytes, 0);
    expect(secondSent).toBeLessThanOrEqual(SECOND_VISIT);
    expect(second.errors).toEqual([]);
    numbers.visits = {
      first: { rawBytes: firstRaw, sentBytes: firstSent, firstGridMs },
      second: {
        sentBytes: secondSent,
        firstGridMs: Number(await second.page.evaluate(() => document.body.dataset.firstGridMs)),
      },
    };
    await second.page.close();
  });

  it('keeps every image at its aspect ratio (±2 %) at 1280 and 390 px, images first on a phone; coalesces seed input; draw-a-digit reconstructs', async () => {
    const { page, errors } = await openPage(context, server.url);
    await waitReady(page, errors);
    await mkdir(ARTIFACTS, { recursive: true });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.waitForTimeout(100);
      expect(await distorted(page), `at ${width} px`).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, `demo-site-${width}.png`), fullPage: true });
    }
    // At 390 px (the viewport now) the whole first grid is on the first screen, above the introduction.
    const layout = await page.evaluate(() => ({
      grid: document.getElementById('samples')!.getBoundingClientRect().bottom,
      intro: document.querySelector('.intro')!.getBoundingClientRect().top,
    }));
    expect(layout.grid).toBeLessThan(844);
    expect(layout.grid).toBeLessThan(layout.intro);
    const before = await page.evaluate(() => window.__vaeDemo!.calls());
    await page.evaluate(() => {
      const seed = document.getElementById('seed') as HTMLInputElement;
      for (let i = 2; i <= 31; i++) {
        seed.value = String(i);
        seed.dispatchEvent(new Event('input'));
      }
    });
    await page.waitForFunction((n) => (window.__vaeDemo!.calls().sent.sample ?? 0) >= n, (before.sent.sample ?? 0) + 2);
    await page.waitForTimeout(300);
    const after = await page.evaluate(() => window.__vaeDemo!.calls());
    // 30 inputs: the first runs, the last runs, the 28 between are superseded without running.
    expect((after.sent.sample ?? 0) - (before.sent.sample ?? 0)).toBe(2);
    expect(after.superseded - before.superseded).toBe(28);
    // Draw a vertical stroke: the pad's reconstruction must stop being blank.
    await page.setViewportSize({ width: 1280, height: 900 });
    const pad = (await page.locator('#draw').boundingBox())!;
    await page.mouse.move(pad.x + pad.width / 2, pad.y + pad.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(pad.x + pad.width / 2, pad.y + pad.height * 0.8, { steps: 12 });
    await page.mouse.up();
    await page.waitForFunction(() => {
      const c = document.getElementById('draw-recon') as HTMLCanvasElement;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let max = 0;
      for (let i = 0; i < px.length; i += 4) max = Math.max(max, px[i]!);
      return max > 128;
    });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says what to do on a mistyped model name, listing the available models', async () => {
    const { page } = await openPage(context, `${server.url}?model=mnist-vea`);
    await page.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
    const message = await page.evaluate(() => document.getElementById('notice')!.textContent);
    expect(message).toContain('no model called "mnist-vea"');
    for (const m of site.manifest.models) expect(message).toContain(m.name);
    await page.close();
  });

  it('refuses a model folder swapped after the build (fp32 manifest and graphs under the int8 name), naming both hashes', async () => {
    const int8 = site.manifest.models.find((m) => m.precision === 'int8')!;
    const fp32 = site.manifest.models.find((m) => m.precision === 'fp32')!;
    const copy = mkdtempSync(join(tmpdir(), 'vae-demo-swapped-'));
    await cp(site.outDir, copy, { recursive: true });
    const target = join(copy, 'models', int8.name);
    for (const f of await readdir(target)) await rm(join(target, f));
    for (const f of await readdir(join(site.outDir, 'models', fp32.name)))
      if (!/\.(br|gz)$/.test(f)) await cp(join(site.outDir, 'models', fp32.name, f), join(target, f));
    const swapped = await serveStatic(copy);
    try {
      const { page } = await openPage(context, `${swapped.url}?model=${int8.name}`);
      await page.waitForSelector('body[data-state="error"]', { timeout: 60_000 });
      const message = await page.evaluate(() => document.getElementById('notice')!.textContent);
      const listed = int8.files.find((f) => f.path.endsWith('manifest.json'))!.sha256;
      const served = createHash('sha256')
        .update(await readFile(join(target, 'manifest.json')))
        .digest('hex');
      expect(message).toContain(
        `models/${int8.name}/manifest.json: expected SHA-256 ${listed} as site.json lists it, got ${served}`,
      );
      await page.close();
    } finally {
      await swapped.close();
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('works from a sub-path of a plain static host (python3 -m http.server, page at /a/b/)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'vae-demo-host-'));
    mkdirSync(join(parent, 'a'));
    symlinkSync(site.outDir, join(parent, 'a', 'b'));
    const python: ChildProcess = spawn(
      'python3',
      ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', parent],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const port = await new Promise<number>((ok, fail) => {
        python.stdout!.on('data', (d: Buffer) => {
          const m = /port (\d+)/.exec(String(d));
          if (m) ok(Number(m[1]));
        });
        python.once('exit', (code) => fail(new Error(`python3 -m http.server exited with ${code}`)));
      });
      const { page, errors } = await openPage(context, `http://127.0.0.1:${port}/a/b/`);
      const info = await waitReady(page, errors);
      expect(info.device).toBe('wasm');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      python.kill();
      await rm(parent, { recursive: true, force: true });
    }
  });
});
