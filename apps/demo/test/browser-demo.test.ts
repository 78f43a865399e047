import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { mkdir, writeFile, rename, cp } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, createServer, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogLevel, type DeviceRequest } from '@vae/core';
import type { BenchmarkReply, DecodeReply, DemoInfo } from '../src/demo-hook.js';
import type { CanvasStats } from '../src/draw.js';
import {
  REPO_ROOT,
  exportTinyModel,
  hasModel,
  latents,
  maxAbsDiff,
  runOnNodeCpu,
} from '../../../packages/runtime-web/test/fixtures.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@vae/runtime-web/node';

const here = dirname(fileURLToPath(import.meta.url));
const CONFIG = resolve(here, '../vite.config.ts');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const ORT_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/webgpu'));
const FP32 = 'mnist-vae';
const INT8 = 'mnist-vae-int8';
/** A seeded-random colour conv VAE (16×16×3, batch norm) the page serves beside the MNIST models. */
const COLOUR = 'colour-vae';

/**
 * The models the page serves: the reference models in `models/` when the export pipeline has
 * produced them (copied), otherwise small seeded-random models exported with `@vae/onnx` under the
 * same names; and a small colour model.
 */
async function modelsDir(): Promise<{ dir: string; reference: boolean }> {
  const repoModels = join(REPO_ROOT, 'models');
  const reference = hasModel(join(repoModels, FP32)) && hasModel(join(repoModels, INT8));
  const dir = mkdtempSync(join(tmpdir(), 'vae-demo-models-'));
  for (const [name, precision] of [
    [FP32, 'fp32'],
    [INT8, 'int8'],
  ] as const) {
    const from = reference ? join(repoModels, name) : await exportTinyModel({ name, precision });
    await cp(from, join(dir, name), { recursive: true });
  }
  const colour = await exportTinyModel({
    name: COLOUR,
    seed: 5,
    spec: { architecture: 'conv', imageShape: [16, 16, 3], latentDim: 6, norm: 'batch' },
    outputGain: 8,
  });
  await cp(colour, join(dir, COLOUR), { recursive: true });
  return { dir, reference };
}

async function writeArtifact(file: string, body: string | Buffer): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, file);
  await writeFile(`${path}.tmp`, body);
  await rename(`${path}.tmp`, path);
}

/** Bytes of the file the page loaded whose path ends with `name`. */
function fileBytes(info: DemoInfo, name: string): number {
  const f = info.files.find((x) => x.path.endsWith(`/${name}`));
  if (!f) throw new Error(`expected ${name} among the loaded files, got ${info.files.map((x) => x.path).join(', ')}`);
  return f.bytes;
}

function expectDrawn(stats: readonly CanvasStats[]): void {
  expect(stats.map((s) => s.id).sort()).toEqual([
    'interpolation',
    'reconstruction',
    'samples',
    'slider-image',
    'traversal',
  ]);
  for (const s of stats) {
    expect(s.width * s.height, `canvas #${s.id} size`).toBeGreaterThan(0);
    expect(s.std, `canvas #${s.id} is blank (uniform)`).toBeGreaterThan(0.5);
    expect(s.levels, `canvas #${s.id} grey levels`).toBeGreaterThanOrEqual(4);
  }
}

describe.skipIf(!existsSync(CHROMIUM_PATH))(
  `edge demo in real Chromium${existsSync(CHROMIUM_PATH) ? '' : ` (skipped: ${CHROMIUM_PATH} is absent; apt-get install chromium)`}`,
  () => {
    let models: { dir: string; reference: boolean };
    let server: PreviewServer;
    let baseUrl: string;
    let context: BrowserContext;
    const numbers: Record<string, unknown> = {};
    /** Pages later tests reuse instead of loading the same page again (each load compiles its runtime). */
    const shared: { webgpu?: { page: Page; info: DemoInfo }; fp32Wasm?: DemoInfo } = {};

    async function open(query: string, origin = baseUrl): Promise<{ page: Page; info: DemoInfo }> {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${origin}/?${query}`);
      const info = await page
        .evaluate(() => window.__vaeDemo!.ready)
        .catch((err: unknown) => {
          throw new Error(`page ?${query} failed: ${String(err)}; page errors: ${errors.join(' | ')}`);
        });
      return { page, info };
    }

    const decode = (page: Page, z: number[], rows: number, device: DeviceRequest): Promise<DecodeReply> =>
      page.evaluate(([zz, n, d]) => window.__vaeDemo!.decode(zz, n, d), [z, rows, device] as const);

    beforeAll(async () => {
      setLogLevel('warn');
      models = await modelsDir();
      process.env.VAE_DEMO_MODELS_DIR = models.dir;
      const outDir = mkdtempSync(join(tmpdir(), 'vae-demo-dist-'));
      await build({ configFile: CONFIG, logLevel: 'silent', build: { outDir, emptyOutDir: true } });
      server = await preview({
        configFile: CONFIG,
        logLevel: 'silent',
        build: { outDir },
        preview: { host: '127.0.0.1', port: 0, strictPort: false },
      });
      baseUrl = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}`;
      context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vae-chromium-')), {
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS],
        headless: true,
        viewport: { width: 1400, height: 1000 },
      });
    });

    afterAll(async () => {
      await context?.close();
      await new Promise<void>((r) => (server ? server.httpServer.close(() => r()) : r()));
      if (Object.keys(numbers).length > 0)
        await writeArtifact('browser-numbers.json', `${JSON.stringify(numbers, null, 2)}\n`);
    });

    it('runs on the WebGPU EP: decoder outputs equal onnxruntime-node CPU within 1e-4, canvases drawn', async () => {
      const { page, info } = await open(`model=${FP32}&device=webgpu`);
      shared.webgpu = { page, info };
      expect(info.device).toBe('webgpu');
      expect(info.fallbacks).toEqual([]);
      const z = latents(4, info.latentDim, 31);
      const reply = await decode(page, Array.from(z.data), 4, 'webgpu');
      expect(reply.device).toBe('webgpu');
      const cpu = await runOnNodeCpu(join(models.dir, FP32, 'decoder.onnx'), { z });
      const logits = maxAbsDiff({ data: Float32Array.from(reply.logits), shape: [...reply.shape] }, cpu.x_logits!);
      const mean = maxAbsDiff({ data: Float32Array.from(reply.mean), shape: [...reply.shape] }, cpu.x_mean!);
      expect(logits).toBeLessThan(1e-4);
      expect(mean).toBeLessThan(1e-4);
      numbers.parity = { ...(numbers.parity as object), webgpu: { maxAbsDiffLogits: logits, maxAbsDiffMean: mean } };
      expectDrawn(await page.evaluate(() => window.__vaeDemo!.canvases()));
      await writeArtifact('browser-demo-webgpu.png', await page.screenshot({ fullPage: true }));
    });

    it('runs on the WASM EP with the same checks; auto reports why it skipped WebGPU', async () => {
      const { page, info } = await open(`model=${FP32}&device=auto`);
      shared.fp32Wasm = info;
      expect(info.device).toBe('wasm');
      expect(info.fallbacks.map((f) => f.device)).toEqual(['webgpu']);
      expect(info.fallbacks[0]!.reason).toMatch(/software fallback adapter/);
      const z = latents(4, info.latentDim, 32);
      const reply = await decode(page, Array.from(z.data), 4, 'wasm');
      expect(reply.device).toBe('wasm');
      const cpu = await runOnNodeCpu(join(models.dir, FP32, 'decoder.onnx'), { z });
      const logits = maxAbsDiff({ data: Float32Array.from(reply.logits), shape: [...reply.shape] }, cpu.x_logits!);
      const mean = maxAbsDiff({ data: Float32Array.from(reply.mean), shape: [...reply.shape] }, cpu.x_mean!);
      expect(logits).toBeLessThan(1e-4);
      expect(mean).toBeLessThan(1e-4);
      numbers.parity = { ...(numbers.parity as object), wasm: { maxAbsDiffLogits: logits, maxAbsDiffMean: mean } };
      expectDrawn(await page.evaluate(() => window.__vaeDemo!.canvases()));
      await writeArtifact('browser-demo-wasm.png', await page.screenshot({ fullPage: true }));
    });

    it('draws a colour model (16×16×3) in colour: RGB samples, every panel, the latent map and the draw pad', async () => {
      const { page, info } = await open(`model=${COLOUR}&device=wasm`);
      expect(info.imageShape).toEqual([16, 16, 3]);
      const stats = await page.evaluate(() => window.__vaeDemo!.canvases());
      expectDrawn(stats);
      const colour = Object.fromEntries(stats.map((s) => [s.id, s.colourPixels]));
      expect(colour.samples, 'pixels of #samples with R, G and B all different').toBeGreaterThan(0);
      for (const id of ['slider-image', 'traversal', 'interpolation', 'reconstruction'])
        expect(colour[id], `colour pixels of #${id}`).toBeGreaterThan(0);
      // The panels' MNIST images are fitted to the model's shape, and the page says so.
      expect(await page.textContent('#recon-caption')).toMatch(/resized from 28×28×1 to the model's 16×16×3/);
      expect(await page.textContent('#map-caption')).toMatch(/^300 test images \(.*16×16×3/);
      // A stroke of the brush colour on the pad is encoded and redrawn, in colour.
      await page.locator('#draw').scrollIntoViewIfNeeded();
      const pad = (await page.locator('#draw').boundingBox())!;
      await page.mouse.move(pad.x + pad.width * 0.3, pad.y + pad.height * 0.3);
      await page.mouse.down();
      await page.mouse.move(pad.x + pad.width * 0.7, pad.y + pad.height * 0.6, { steps: 5 });
      await page.mouse.up();
      await page
        .waitForFunction(() => {
          const c = document.getElementById('draw-recon') as HTMLCanvasElement;
          const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          // Not grey: random weights can saturate the reconstruction to 0/255 per channel.
          for (let i = 0; i < px.length; i += 4) if (px[i] !== px[i + 1] || px[i + 1] !== px[i + 2]) return true;
          return false;
        })
        .catch(async (err: unknown) => {
          const notice = await page.textContent('#notice');
          const calls = await page.evaluate(() => window.__vaeDemo!.calls());
          throw new Error(
            `draw-recon never showed colour; notice: ${notice}; calls ${JSON.stringify(calls)}; ${String(err)}`,
          );
        });
      await writeArtifact('browser-demo-colour.png', await page.screenshot({ fullPage: true }));
      await page.close();
    });

    it('int8 decoder: same outputs as onnxruntime-node CPU on wasm and webgpu; download sizes of fp32 and int8', async () => {
      const { page, info } = await open(`model=${INT8}&device=wasm`);
      expect(info.precision).toBe('int8');
      const z = latents(2, info.latentDim, 33);
      // `basic`: onnxruntime-node's int8 fusions at `all` quantize activations (see runOnNodeCpu).
      const cpu = await runOnNodeCpu(join(models.dir, INT8, 'decoder.onnx'), { z }, 'basic');
      for (const device of ['wasm', 'webgpu'] as const) {
        const reply = await decode(page, Array.from(z.data), 2, device);
        expect(reply.device).toBe(device);
        expect(maxAbsDiff({ data: Float32Array.from(reply.mean), shape: [...reply.shape] }, cpu.x_mean!)).toBeLessThan(
          1e-4,
        );
      }
      // The previous test's page: auto fell back to the wasm device there.
      const fp32 = shared.fp32Wasm ?? (await open(`model=${FP32}&device=wasm`)).info;
      const bytes: Record<string, unknown> = {};
      for (const [name, i] of [
        [FP32, fp32],
        [INT8, info],
      ] as const) {
        const decoder = fileBytes(i, 'decoder.onnx');
        expect(decoder).toBe(statSync(join(models.dir, name, 'decoder.onnx')).size);
        // The wasm device loads the CPU-only build's binary, never the WebGPU build's.
        expect(fileBytes(i, 'ort-wasm-simd-threaded.wasm')).toBe(
          statSync(join(ORT_DIST, 'ort-wasm-simd-threaded.wasm')).size,
        );
        expect(i.files.some((f) => f.path.endsWith('.asyncify.wasm'))).toBe(false);
        bytes[name] = { decoder, files: i.files };
      }
      expect(fileBytes(info, 'decoder.onnx')).toBeLessThan(fileBytes(fp32, 'decoder.onnx'));
      numbers.downloads = bytes;
    });

    it('the dev server of `pnpm demo` serves the same working page', async () => {
      const dev = await createServer({
        configFile: CONFIG,
        logLevel: 'silent',
        server: { host: '127.0.0.1', port: 0, strictPort: false },
      });
      try {
        await dev.listen();
        const origin = `http://127.0.0.1:${(dev.httpServer!.address() as AddressInfo).port}`;
        const { page, info } = await open(`model=${FP32}&device=wasm`, origin);
        expect(info.device).toBe('wasm');
        expect(fileBytes(info, 'decoder.onnx')).toBe(statSync(join(models.dir, FP32, 'decoder.onnx')).size);
        expectDrawn(await page.evaluate(() => window.__vaeDemo!.canvases()));
        await page.close();
      } finally {
        await dev.close();
      }
    });

    it('measures decoder latency at batch 1 and 64 on WASM and WebGPU (recorded, not asserted)', async () => {
      // The first test's page: its WebGPU session is already created; wasm is loaded on the first call.
      const { page, info } = shared.webgpu ?? (await open(`model=${FP32}&device=webgpu`));
      const runs: BenchmarkReply[] = [];
      for (const device of ['wasm', 'webgpu'] as const) {
        for (const batch of [1, 64]) {
          // Chromium's timer resolution is 0.1 ms without cross-origin isolation: many reps for fast runs.
          const reps = device === 'webgpu' ? 8 : batch === 1 ? 200 : 40;
          runs.push(
            await page.evaluate((o) => window.__vaeDemo!.benchmark(o), { device, batch, reps, warmup: 2, seed: 1 }),
          );
        }
      }
      for (const r of runs) {
        expect(r.medianMs).toBeGreaterThan(0);
        expect(Number.isFinite(r.maxMs)).toBe(true);
      }
      expect(runs.map((r) => `${r.device}/${r.batch}`)).toEqual(['wasm/1', 'wasm/64', 'webgpu/1', 'webgpu/64']);
      numbers.latency = {
        model: info.model,
        reference: models.reference,
        browser: context.browser()?.version() ?? 'chromium',
        runs,
      };
    });
  },
);
