import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel } from '@vae/core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@vae/runtime-web/node';
import { RUN_REPORT_FILE, train } from '@vae/train';

/** pngjs, resolved from @vae/train (which depends on it), to read the screenshots. */
const { PNG } = createRequire(resolve(import.meta.dirname, '../packages/train/package.json'))(
  'pngjs',
) as typeof import('pngjs');

const dir = mkdtempSync(join(tmpdir(), 'vae-run-report-'));
let context: BrowserContext;

beforeAll(async () => {
  setLogLevel('warn');
  // A tiny real run (2 epochs of 256 MNIST images): every figure and the report come from the trainer.
  await train({
    model: { kind: 'vae', hidden: [32], latentDim: 3 },
    dataset: 'mnist',
    trainSize: 256,
    valSize: 128,
    batchSize: 64,
    epochs: 2,
    backend: 'cpu',
    seed: 3,
    runDir: dir,
  });
  context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vae-chromium-report-')), {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS],
    headless: true,
    viewport: { width: 1280, height: 900 },
  });
});

afterAll(async () => {
  await context?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Share of pixels that are not (near) white, and the number of distinct colours. */
function ink(shot: Buffer): { share: number; colours: number } {
  const png = PNG.sync.read(shot);
  const colours = new Set<number>();
  let inked = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 235 || g < 235 || b < 235) inked++;
  }
  return { share: inked / (png.width * png.height), colours: colours.size };
}

describe('report.html in Chromium', () => {
  it('renders every figure with real text and pixels, the embedded font, no console errors and no network', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    const network: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) network.push(r.url());
    });
    await page.goto(pathToFileURL(join(dir, RUN_REPORT_FILE)).href);
    await page.evaluate(() => document.fonts.ready);
    expect(await page.evaluate(() => document.fonts.check('12px "DejaVu Sans"'))).toBe(true);
    expect(await page.locator('h1').textContent()).toMatch(/^Training run vae-run-report-/);
    expect(await page.locator('h2').allTextContents()).toEqual(
      expect.arrayContaining(['Run', 'Final metrics (epoch 2, nats per example)', 'Parity', 'Model', 'Figures']),
    );
    const ids = await page.locator('figure').evaluateAll((fs) => fs.map((f) => f.id));
    expect(ids).toEqual([
      'loss-curve',
      'reconstructions',
      'prior-samples',
      'latent-traversal',
      'latent-scatter',
      'latent-kl',
    ]);
    expect(await page.locator('#loss-curve svg text').allTextContents()).toEqual(
      expect.arrayContaining(['Training curves', 'ELBO', 'KL', 'epoch']),
    );
    for (const id of ids) {
      const svg = page.locator(`#${id} svg`);
      const box = (await svg.boundingBox())!;
      expect(box.width, id).toBeGreaterThan(150);
      const { share, colours } = ink(await svg.screenshot());
      expect(share, `${id}: inked share`).toBeGreaterThan(0.03);
      expect(colours, `${id}: distinct colours`).toBeGreaterThan(20);
    }
    const shot = process.env.VAE_REPORT_SCREENSHOT;
    if (shot) await page.screenshot({ path: shot, fullPage: true });
    expect(errors).toEqual([]);
    expect(network).toEqual([]);
  });
});
