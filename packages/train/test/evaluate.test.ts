import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, initParameters, setLogLevel, type ModelSpec, type ParameterSet } from '@vae/core';
import { registerDataset } from '@vae/data';
import { DEFAULT_TRAIN_CONFIG, evaluateRun, saveCheckpoint } from '../src/index.js';
import { loadOnnxModel } from '../src/eval/onnx-model.js';
import { tinySpec } from './helpers.js';

setLogLevel('warn');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const DATASET = 'eval-test-no-test-split';
const PIXELS = 16;
const COUNT = 40;
const VAL = 12;

/** 40 black-and-white 4×4 images (bytes 0 or 255, so every binarization keeps them), labels 0–2, and no test split. */
const images = Uint8Array.from({ length: COUNT * PIXELS }, (_, i) => (((i * 2654435761) >>> 0) % 7 < 3 ? 255 : 0));
registerDataset(DATASET, async () => ({
  name: DATASET,
  imageShape: [4, 4, 1],
  numClasses: 3,
  train: { images, labels: Uint8Array.from({ length: COUNT }, (_, i) => i % 3), count: COUNT },
  test: null,
  source: 'generated in the test',
}));

/** A run folder whose checkpoint is the freshly initialised `spec` trained on the dataset above (12 rows held out). */
async function runFolder(spec: ModelSpec): Promise<{ dir: string; params: ParameterSet }> {
  const dir = await mkdtemp(join(tmpdir(), 'vae-eval-'));
  dirs.push(dir);
  const params = initParameters(spec, new Rng(3));
  const config = { ...DEFAULT_TRAIN_CONFIG, dataset: DATASET, binarize: 'static' as const, valSize: VAL, runDir: dir };
  await saveCheckpoint(dir, {
    spec,
    params,
    config,
    epoch: 2,
    step: 6,
    rng: new Rng(1).getState(),
    optimizer: null,
    engine: 'ort',
    backend: 'cpu',
  });
  return { dir, params };
}

describe('evaluateRun', () => {
  it("an autoencoder: reconstruction and objective only, equal to the decoder's Bernoulli NLL of the held-out rows", async () => {
    const spec = tinySpec({ kind: 'ae' });
    const { dir, params } = await runFolder(spec);
    const ev = await evaluateRun(dir, { samples: 3, batchSize: 5, threads: 1 });
    expect(ev).toMatchObject({
      runDir: dir,
      epoch: 2,
      split: 'val',
      examples: VAL,
      backend: 'onnxruntime-node/cpu',
      elbo: null,
      kl: null,
      nll: null,
      // Nothing is sampled for an autoencoder: no K is reported, whatever `samples` asked for.
      samples: null,
      protocol: 'static binarization at 0.5',
    });
    expect(Number.isFinite(ev.reconstruction)).toBe(true);
    expect(Number.isFinite(ev.seconds)).toBe(true);
    // A plain autoencoder's objective is its reconstruction term.
    expect(ev.loss).toBeCloseTo(ev.reconstruction, 4);

    // The same number from the model directly: mean over the last 12 rows of Σ softplus(l) − x·l.
    const x = Float32Array.from(images.subarray((COUNT - VAL) * PIXELS), (b) => b / 255);
    const model = await loadOnnxModel(spec, params, { device: 'cpu', location: 'test' });
    let expected = 0;
    try {
      const input = { data: x, shape: [VAL, PIXELS] };
      const enc = await model.encode(input);
      expect('mu' in enc).toBe(false);
      const { logits } = await model.decode('z' in enc ? enc.z : enc.mu);
      for (let i = 0; i < logits.data.length; i++) {
        const l = logits.data[i]!;
        expected += Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))) - x[i]! * l;
      }
    } finally {
      await model.release();
    }
    expected /= VAL;
    expect(expected).toBeGreaterThan(1);
    expect(Math.abs(ev.reconstruction - expected) / expected).toBeLessThan(1e-5);

    // Batches of 5 (5 + 5 + 2) are weighted by their size: one batch of 12 gives the same mean; limit caps the rows.
    const whole = await evaluateRun(dir, { samples: 3, batchSize: 100, threads: 1 });
    expect(Math.abs(whole.reconstruction - ev.reconstruction) / expected).toBeLessThan(1e-6);
    expect((await evaluateRun(dir, { limit: 4, threads: 1 })).examples).toBe(4);
  });

  it('a VAE: ELBO, KL and the importance-sampled NLL, reporting the K it sampled', async () => {
    const { dir } = await runFolder(tinySpec({ kind: 'vae' }));
    const ev = await evaluateRun(dir, { samples: 3, limit: 4, threads: 1 });
    expect(ev).toMatchObject({ examples: 4, samples: 3 });
    expect(ev.kl!).toBeGreaterThanOrEqual(0);
    expect(ev.elbo!).toBeLessThan(0);
    expect(Number.isFinite(ev.nll!)).toBe(true);
  });

  it('--split test on a dataset without a test split: an error naming the argument, the expected and the actual value', async () => {
    const { dir } = await runFolder(tinySpec({ kind: 'vae' }));
    await expect(evaluateRun(dir, { split: 'test' })).rejects.toThrow(
      new RangeError(
        `split: expected val for dataset ${DATASET} (generated in the test has no test split; the run validated on rows it held out), got test`,
      ),
    );
  });

  it('checks limit, device and threads before it reads the run', async () => {
    const missing = join(tmpdir(), 'vae-eval-no-such-run');
    await expect(evaluateRun(missing, { limit: 0 })).rejects.toThrow(/^limit: expected an integer/);
    await expect(evaluateRun(missing, { device: '' as never })).rejects.toThrow(/^device: expected /);
    await expect(evaluateRun(missing, { threads: 0 })).rejects.toThrow(/^threads: expected an integer/);
  });
});
