/**
 * Training in a browser tab against the same run in Node: the demo's training page (`train.html` of
 * the static site, built here) trains the default VAE (784-400-20 Bernoulli, batch 128, dynamic
 * binarization, seed 1) with the ort step runner on onnxruntime-web in real Chromium; Node runs
 * `vae train` on the ort engine (CPU EP) with the same settings in the same run.
 *
 *   tsx bench/train-browser.ts [--train-size 55000] [--epochs 1] [--webgpu-steps 20]
 *
 * wasm: full epochs, wall-clock seconds of each epoch in the page (batches, steps, validation and
 * the IndexedDB checkpoint), and the final validation ELBO (5,000 held-out images, the trainer's
 * validation draws). WebGPU (whatever adapter Chromium offers; SwiftShader here): `--webgpu-steps`
 * timed steps after 2 warm-up steps, extrapolated to an epoch (0: skipped). Node: the trainer's
 * per-epoch seconds (which include its validation) and validation ELBO. Writes
 * bench/train-browser-results.json.
 */
import { mkdtempSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { setLogLevel } from '@vae/core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@vae/runtime-web/node';
import { train } from '@vae/train';
import { serveStatic } from '../apps/demo/build/static-server.js';
import type { TrainInfo, TrainSettings, TrainStatus } from '../apps/demo/src/train-protocol.js';
import type {} from '../apps/demo/src/train-main.js';
import { buildDemo } from '../scripts/demo-site.js';
import { benchArg } from './lib/bench-arg.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const trainSize = Number(benchArg('train-size', '55000'));
const epochs = Number(benchArg('epochs', '1'));
const webgpuSteps = Number(benchArg('webgpu-steps', '20'));
const out = (s: string) => process.stdout.write(`${s}\n`);
setLogLevel('warn');

const settings = (device: TrainSettings['device']): TrainSettings => ({
  seed: 1,
  trainSize,
  valCount: null,
  batchSize: 128,
  learningRate: 1e-3,
  epochs,
  device,
  checkpointEvery: 50,
});

const site = await buildDemo({
  outDir: mkdtempSync(join(tmpdir(), 'vae-bench-site-')),
  modelsDir: join(root, 'models'),
  brotliQuality: 1,
});
const server = await serveStatic(site.outDir);
const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'vae-bench-chromium-')), {
  executablePath: CHROMIUM_PATH,
  args: [...CHROMIUM_ARGS],
  headless: true,
});
const page = await context.newPage();
await page.goto(`${server.url}train.html`);
await page.waitForFunction(() => window.__vaeTrain !== undefined, null, { timeout: 120_000 });
await page.evaluate(() => window.__vaeTrain!.ready);
const browser = context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));

async function fresh(s: TrainSettings): Promise<TrainInfo> {
  return page.evaluate(async (x) => {
    const { client } = window.__vaeTrain!;
    await client.call('forget', null);
    const manifest = await (await fetch('site.json')).json();
    return client.call('init', { site: manifest, settings: x, resume: false });
  }, s);
}
const run = (untilStep: number | null): Promise<TrainStatus> =>
  page.evaluate((n) => window.__vaeTrain!.client.call('run', { untilStep: n }), untilStep);

const results: Record<string, unknown>[] = [];
try {
  const wasm = await fresh(settings('wasm'));
  const epochSeconds: number[] = [];
  let status: TrainStatus | null = null;
  for (let e = 1; e <= epochs; e++) {
    const t0 = performance.now();
    status = await run(e * wasm.status.epochSteps);
    epochSeconds.push((performance.now() - t0) / 1000);
  }
  results.push({
    runtime: 'chromium',
    device: 'wasm',
    why: wasm.why,
    epochSeconds,
    secondsPerEpoch: epochSeconds.reduce((a, b) => a + b, 0) / epochSeconds.length,
    stepSeconds: status!.trainSeconds,
    validationSeconds: status!.validationSeconds,
    checkpointSeconds: status!.checkpointSeconds,
    valElbo: status!.valElbo,
  });
  out(
    `chromium wasm: ${epochSeconds.map((s) => s.toFixed(1)).join(', ')} s/epoch; val ELBO ${status!.valElbo.join(', ')}`,
  );
  if (webgpuSteps > 0) {
    try {
      const gpu = await fresh(settings('webgpu'));
      await run(2);
      const t0 = performance.now();
      await run(2 + webgpuSteps);
      const perStep = (performance.now() - t0) / 1000 / webgpuSteps;
      results.push({
        runtime: 'chromium',
        device: 'webgpu',
        why: gpu.why,
        timedSteps: webgpuSteps,
        secondsPerStep: perStep,
        secondsPerEpoch: perStep * gpu.status.epochSteps,
        extrapolated: true,
      });
      out(
        `chromium webgpu: ${(perStep * 1000).toFixed(1)} ms/step → ${(perStep * gpu.status.epochSteps).toFixed(1)} s/epoch`,
      );
    } catch (err) {
      results.push({ runtime: 'chromium', device: 'webgpu', error: err instanceof Error ? err.message : String(err) });
      out(`chromium webgpu: failed: ${String(err)}`);
    }
  }
} finally {
  await context.close();
  await server.close();
  await rm(site.outDir, { recursive: true, force: true });
}

const runDir = mkdtempSync(join(tmpdir(), 'vae-bench-node-'));
try {
  const r = await train({ engine: 'ort', backend: 'cpu', seed: 1, trainSize, epochs, runDir }, { plots: false });
  const epochSeconds = r.metrics.map((m) => m.seconds);
  results.push({
    runtime: 'node',
    device: `ort ${r.backend}`,
    epochSeconds,
    secondsPerEpoch: epochSeconds.reduce((a, b) => a + b, 0) / epochSeconds.length,
    valElbo: r.metrics.map((m) => m.valElbo),
  });
  out(
    `node ort/${r.backend}: ${epochSeconds.map((s) => s.toFixed(1)).join(', ')} s/epoch; val ELBO ${r.metrics.map((m) => m.valElbo).join(', ')}`,
  );
} finally {
  await rm(runDir, { recursive: true, force: true });
}

const file = join(here, 'train-browser-results.json');
const json = {
  benchmark: 'train-browser',
  model: 'vae 784-400-20 bernoulli, batch 128, dynamic binarization, seed 1, Adam lr 1e-3',
  trainSize,
  epochs,
  browser,
  results,
};
await writeFile(`${file}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
await rename(`${file}.tmp`, file);
out(`wrote ${file}`);
