/**
 * Experiment: conv VAE (β = 1) vs β-VAE (β = 4) on the `shapes` dataset, several seeds each,
 * scored by MIG and the FactorVAE metric (`evaluateDisentanglement`), printed as a Markdown table
 * with mean ± sd over seeds.
 *
 *   pnpm tsx bench/disentanglement.ts [--out DIR] [--seeds 1,2,3] [--betas 1,4] [--train-size 10000]
 *     [--epochs 3] [--latent 10] [--train-votes 1000] [--eval-votes 500]
 *
 * Each run trains the conv preset (ort engine, CPU) from scratch into `<out>/beta<β>-seed<s>` (its
 * run plots include `latent-traversal.png`), then computes MIG on 10,000 samples (20 bins, as
 * disentanglement_lib) and the FactorVAE metric with batch 64 and the 0.05 variance threshold; the
 * FactorVAE vote counts default to a tenth of disentanglement_lib's 10,000 / 5,000 to fit a
 * 2-core machine. Results go to `<out>/results.json` after every run (a rerun skips finished runs).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { setLogLevel } from '@vae/core';
import { writeFileAtomic } from '@vae/data/node';
import { evaluateDisentanglement, train, type DisentanglementResult } from '@vae/train';
import { benchArg } from './lib/bench-arg.js';

function ints(name: string, fallback: string): number[] {
  const v = benchArg(name, fallback).split(',').map(Number);
  if (v.some((x) => !Number.isFinite(x)))
    throw new RangeError(`--${name}: expected numbers, got ${benchArg(name, fallback)}`);
  return v;
}

const out = resolve(benchArg('out', 'runs/disentanglement'));
const seeds = ints('seeds', '1,2,3');
const betas = ints('betas', '1,4');
const trainSize = ints('train-size', '10000')[0]!;
const epochs = ints('epochs', '3')[0]!;
const latent = ints('latent', '10')[0]!;
const trainVotes = ints('train-votes', '1000')[0]!;
const evalVotes = ints('eval-votes', '500')[0]!;

interface Row {
  readonly beta: number;
  readonly seed: number;
  readonly trainSeconds: number;
  readonly valElbo: number | null;
  readonly activeUnits: number;
  readonly mig: number;
  readonly migPerFactor: readonly number[];
  readonly factorVae: number;
  readonly factorVaeActiveDims: number;
  readonly metricSeconds: number;
}

setLogLevel('warn');
const resultsPath = join(out, 'results.json');
const rows: Row[] = existsSync(resultsPath) ? JSON.parse(await readFile(resultsPath, 'utf8')).rows : [];
const started = performance.now();
for (const beta of betas) {
  for (const seed of seeds) {
    if (rows.some((r) => r.beta === beta && r.seed === seed)) continue;
    const runDir = join(out, `beta${beta}-seed${seed}`);
    const t = await train({
      model: {
        kind: beta === 1 ? 'vae' : 'beta-vae',
        architecture: 'conv',
        convPreset: 'conv-small',
        latentDim: latent,
        beta,
      },
      dataset: 'shapes',
      binarize: 'none',
      trainSize,
      valSize: 1000,
      epochs,
      batchSize: 64,
      seed,
      backend: 'cpu',
      runDir,
    });
    const last = t.metrics.at(-1)!;
    const m: DisentanglementResult = await evaluateDisentanglement(
      { run: runDir },
      { factorVae: { trainVotes, evalVotes } },
    );
    rows.push({
      beta,
      seed,
      trainSeconds: t.seconds,
      valElbo: last.valElbo,
      activeUnits: last.activeUnits ?? -1,
      mig: m.mig.score,
      migPerFactor: m.mig.perFactor,
      factorVae: m.factorVae.score,
      factorVaeActiveDims: m.factorVae.activeDims.length,
      metricSeconds: m.seconds,
    });
    process.stderr.write(
      `β=${beta} seed ${seed}: MIG ${m.mig.score.toFixed(3)}, FactorVAE ${m.factorVae.score.toFixed(3)}, ` +
        `AU ${last.activeUnits}, val ELBO ${last.valElbo?.toFixed(1)}, train ${t.seconds.toFixed(0)} s, metrics ${m.seconds.toFixed(0)} s\n`,
    );
    await writeFileAtomic(
      resultsPath,
      `${JSON.stringify({ settings: { seeds, betas, trainSize, epochs, latent, trainVotes, evalVotes }, rows }, null, 2)}\n`,
    );
  }
}

function meanSd(v: readonly number[]): string {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1)) : 0;
  return `${m.toFixed(3)} ± ${sd.toFixed(3)}`;
}

const factors = ['shape', 'scale', 'orientation', 'posX', 'posY'];
const lines = [
  `conv VAE on shapes: ${trainSize} training images × ${epochs} epochs, batch 64, L = ${latent}, ort/cpu; ` +
    `MIG 10,000 samples / 20 bins; FactorVAE ${trainVotes}/${evalVotes} votes of 64. ` +
    `${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}; this invocation ${((performance.now() - started) / 60_000).toFixed(1)} min.`,
  '',
  `| β | seeds | MIG | FactorVAE | active units | val ELBO (nats) | ${factors.map((f) => `MIG ${f}`).join(' | ')} | train s/run |`,
  `|---|---|---|---|---|---|${factors.map(() => '---').join('|')}|---|`,
];
for (const beta of betas) {
  const r = rows.filter((x) => x.beta === beta);
  if (r.length === 0) continue;
  lines.push(
    `| ${beta} | ${r.map((x) => x.seed).join(',')} | ${meanSd(r.map((x) => x.mig))} | ${meanSd(r.map((x) => x.factorVae))} | ` +
      `${meanSd(r.map((x) => x.activeUnits))} | ${meanSd(r.map((x) => x.valElbo ?? Number.NaN))} | ` +
      `${factors.map((_, k) => meanSd(r.map((x) => x.migPerFactor[k]!))).join(' | ')} | ${meanSd(r.map((x) => x.trainSeconds))} |`,
  );
}
lines.push('', '| β | seed | MIG | FactorVAE | active units | FactorVAE active dims |', '|---|---|---|---|---|---|');
for (const r of rows)
  lines.push(
    `| ${r.beta} | ${r.seed} | ${r.mig.toFixed(3)} | ${r.factorVae.toFixed(3)} | ${r.activeUnits} | ${r.factorVaeActiveDims} |`,
  );
process.stdout.write(`${lines.join('\n')}\n`);
