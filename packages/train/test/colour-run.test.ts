import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng, setLogLevel } from '@vae/core';
import { afterAll, describe, expect, it } from 'vitest';
import { registerDataset } from '@vae/data';
import { evaluateRun } from '../src/eval/evaluate.js';
import { train } from '../src/trainer/trainer.js';

setLogLevel('warn');
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const SIDE = 16;
const D = SIDE * SIDE * 3;

/** `count` 16×16×3 images (HWC bytes): a square of one random colour on a background of another. */
function colourSquares(count: number, rng: Rng) {
  const images = new Uint8Array(count * D);
  const colour = () => [rng.int(256), rng.int(256), rng.int(256)];
  for (let i = 0; i < count; i++) {
    const [bg, fg] = [colour(), colour()];
    const [x0, y0] = [rng.int(8), rng.int(8)];
    for (let p = 0; p < SIDE * SIDE; p++) {
      const [x, y] = [p % SIDE, Math.floor(p / SIDE)];
      const inside = x >= x0 && x < x0 + 8 && y >= y0 && y < y0 + 8;
      images.set(inside ? fg! : bg!, i * D + 3 * p);
    }
  }
  return { images, labels: new Uint8Array(count), count };
}

registerDataset('colour-test-squares', async () => {
  const rng = new Rng(5);
  return {
    name: 'colour-test-squares',
    imageShape: [SIDE, SIDE, 3],
    numClasses: 1,
    train: colourSquares(320, rng),
    test: colourSquares(32, rng),
    source: 'generated in the test',
  };
});

describe('a colour conv model (16×16×3, batch norm) trained, then evaluated by vae eval', () => {
  it("the evaluation's ELBO (exported graphs, core's likelihood over H·W·3 values) matches the trainer's validation", async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'vae-colour-run-'));
    dirs.push(runDir);
    const result = await train(
      {
        dataset: 'colour-test-squares',
        model: { kind: 'vae', architecture: 'conv', norm: 'batch', latentDim: 8 },
        binarize: 'none',
        epochs: 2,
        batchSize: 32,
        valSize: 64,
        engine: 'ort',
        backend: 'cpu',
        runDir,
      },
      { plots: false },
    );
    expect(result.spec.imageShape).toEqual([SIDE, SIDE, 3]);
    const last = result.metrics.at(-1)!;
    expect(last.valElbo!).toBeGreaterThan(result.metrics[0]!.valElbo!);
    const ev = await evaluateRun(runDir, { samples: 20, limit: 64 });
    expect(ev.examples).toBe(64);
    expect(ev.protocol).toBe('intensities in [0, 1], not binarized');
    // Same 64 validation images and the same ε (the validation seed, drawn in the same order): the
    // trainer's ELBO (ort forward graph) and the evaluation's (exported graphs + core) agree to float32
    // (measured 2e-8 relative).
    expect(Math.abs(ev.elbo! - last.valElbo!) / Math.abs(last.valElbo!)).toBeLessThan(1e-5);
    // log p(x) ≥ ELBO, and the importance-sampled bound is the tighter one.
    expect(-ev.nll!).toBeGreaterThan(ev.elbo!);
    expect(ev.kl!).toBeGreaterThan(0);
  }, 120_000);
});
