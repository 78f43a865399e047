import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaeModel, elboVia, logLikelihoodVia, setLogLevel } from '@vae/core';
import { cudaProviderStatus } from '@vae/device-node';
import { onnxruntimeNodeBackend, nodeFileSource } from '@vae/runtime-node';
import { loadCheckpoint, resolveTrainConfig, saveCheckpoint } from '@vae/train';
import {
  CheckpointMismatchError,
  assertCheckpointBelongs,
  buildParityInputs,
  checkpointProvenance,
  comparisonPrecision,
  exitCodeFor,
  parseToleranceOverride,
  toleranceFor,
  type ParityReport,
} from '@vae/parity';
import { runCliCaptured as run } from './cli-capture.js';
import { exportTo, perturbed, runVae, tempDir, tinyModel } from './parity-fixtures.js';

setLogLevel('warn');

let dir: string;
let modelA: string;
let modelB: string;
let runDir: string;

beforeAll(async () => {
  dir = await tempDir();
  const { spec, params } = tinyModel();
  modelA = await exportTo(join(dir, 'a'), spec, params);
  // The perturbed copy: +1e-3 on every value of the decoder's output bias.
  modelB = await exportTo(join(dir, 'b'), spec, perturbed(params, 'decoder.1.bias', 1e-3));
  // A run folder holding the checkpoint the model at <run>/model was exported from (for tfjs).
  runDir = join(dir, 'run');
  await saveCheckpoint(runDir, {
    spec,
    params,
    config: resolveTrainConfig({ runDir }),
    epoch: 0,
    step: 0,
    rng: { s: [1, 2, 3, 4], spare: null },
    optimizer: null,
    engine: 'none',
    backend: 'none',
  });
  await exportTo(join(runDir, 'model'), spec, params);
});

async function readReport(path: string): Promise<ParityReport> {
  return JSON.parse(await readFile(path, 'utf8')) as ParityReport;
}

// The first case runs the CLI as a child process (the exit code a CI script sees); the others call the
// same CLI in this process (no start-up per case).
describe('vae parity (CLI)', () => {
  it('fails (exit 1) when one weight tensor of the model is perturbed by 1e-3', async () => {
    const json = join(dir, 'perturbed.json');
    const r = await runVae([
      'parity',
      '--model',
      modelB,
      '--reference-model',
      modelA,
      '--runtimes',
      'ort-node-cpu',
      '--json',
      json,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL');
    const report = await readReport(json);
    expect(report.exitCode).toBe(1);
    expect(report.passed).toBe(false);
    const cpu = report.runtimes.find((x) => x.runtime === 'ort-node-cpu')!;
    expect(cpu.status).toBe('fail');
    const by = Object.fromEntries(cpu.outputs.map((c) => [c.output, c]));
    // The encoder is untouched: identical outputs.
    expect(by.mu!.stats.maxAbs).toBe(0);
    expect(by.mu!.pass).toBe(true);
    // The logits move by exactly the perturbation (float32 round-off aside), 30× the 3e-5 tolerance.
    expect(by.x_logits!.stats.maxAbs).toBeGreaterThan(0.9e-3);
    expect(by.x_logits!.stats.maxAbs).toBeLessThan(1.1e-3);
    expect(by.x_logits!.violations).toBe(by.x_logits!.stats.count);
    expect(by.elbo!.pass).toBe(false);
    expect(by.log_px!.pass).toBe(false);
  });

  it('passes (exit 0) for the unperturbed copy, and a --tolerance override can accept the perturbation', async () => {
    const same = await run([
      'parity',
      '--model',
      modelA,
      '--reference-model',
      modelA,
      '--runtimes',
      'ort-node-cpu,ort-web-wasm',
    ]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/\nPASS\n/);
    const loose = await run([
      'parity',
      '--model',
      modelB,
      '--against',
      modelA,
      '--runtimes',
      'ort-node-cpu',
      '--tolerance',
      '*=2e-3,1e-2',
    ]);
    expect(loose.code).toBe(0);
  });

  it('runs on real MNIST test images with --inputs mnist', async () => {
    const json = join(dir, 'mnist.json');
    const r = await run([
      'parity',
      '--model',
      modelA,
      '--runtimes',
      'ort-web-wasm',
      '--inputs',
      'mnist',
      '--batch',
      '8',
      '--samples',
      '4',
      '--json',
      json,
    ]);
    expect(r.code).toBe(0);
    const report = await readReport(json);
    expect(report.inputs).toMatchObject({ source: 'mnist', batch: 8, samples: 4 });
    const wasm = report.runtimes.find((x) => x.runtime === 'ort-web-wasm')!;
    expect(wasm.status).toBe('pass');
    expect(wasm.outputs.find((c) => c.output === 'elbo')!.stats.count).toBe(8);
  });

  it.skipIf(cudaProviderStatus().installed)(
    'exits 2 with the reason when a requested runtime cannot start',
    async () => {
      const json = join(dir, 'cuda.json');
      const r = await run(['parity', '--model', modelA, '--runtimes', 'ort-node-cuda', '--json', json]);
      expect(r.code).toBe(2);
      const report = await readReport(json);
      const cuda = report.runtimes.find((x) => x.runtime === 'ort-node-cuda')!;
      expect(cuda.status).toBe('error');
      expect(cuda.reason).toMatch(/CUDA provider libraries are not installed/);
      expect(report.problems.join('\n')).toMatch(/ort-node-cuda was requested but could not run/);
    },
  );

  it('compares TensorFlow.js from the training checkpoint with onnxruntime (model at <run>/model)', async () => {
    const json = join(dir, 'tfjs.json');
    const r = await run([
      'parity',
      '--model',
      join(runDir, 'model'),
      '--runtimes',
      'ort-node-cpu,tfjs-cpu',
      '--json',
      json,
    ]);
    expect(r.code).toBe(0);
    const report = await readReport(json);
    expect(report.runDir).toBe(runDir);
    const tfjs = report.runtimes.find((x) => x.runtime === 'tfjs-cpu')!;
    expect(tfjs.status).toBe('pass');
    expect(tfjs.outputs.map((c) => c.output)).toEqual(['mu', 'logvar', 'x_logits', 'x_mean', 'elbo', 'log_px']);
    for (const c of tfjs.outputs) expect(c.stats.maxAbs).toBeLessThan(c.tolerance.abs + c.tolerance.rel * 1000);
  });

  it('exits 2 with a plain message (no FAIL table) when the checkpoint is from another run of the same architecture', async () => {
    const other = join(dir, 'other-run');
    const { spec, params } = tinyModel(8);
    await saveCheckpoint(other, {
      spec,
      params,
      config: resolveTrainConfig({ runDir: other, seed: 8 }),
      epoch: 0,
      step: 0,
      rng: { s: [1, 2, 3, 4], spare: null },
      optimizer: null,
      engine: 'none',
      backend: 'none',
    });
    const r = await run(['parity', '--model', join(runDir, 'model'), '--run', other, '--runtimes', 'ort-node-cpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /this checkpoint does not belong to this model: .*other-run \(epoch 0, seed 8\) is not the run .*run\/model was exported from: its weights differ \(manifest provenance.paramsSha256 [0-9a-f]{12}…, checkpoint [0-9a-f]{12}…\)/,
    );
    expect(r.stdout).not.toMatch(/FAIL/);
  });

  it('matches a checkpoint to a manifest without a weights fingerprint by its provenance fields', async () => {
    const manifest = JSON.parse(await readFile(join(runDir, 'model', 'manifest.json'), 'utf8'));
    expect(manifest.provenance.paramsSha256).toMatch(/^[0-9a-f]{64}$/);
    const own = await loadCheckpoint(runDir);
    // As `vae export` of this checkpoint would have written it before fingerprints were recorded.
    manifest.provenance = { ...manifest.provenance, ...checkpointProvenance(own) };
    delete manifest.provenance.paramsSha256;
    await expect(assertCheckpointBelongs(manifest, 'model', own, runDir)).resolves.toBeUndefined();
    const { spec, params } = tinyModel(8);
    const foreign = { ...own, params, spec, config: { ...own.config, seed: 8 }, epoch: 3 };
    await expect(assertCheckpointBelongs(manifest, 'model', foreign, 'other')).rejects.toThrow(CheckpointMismatchError);
    await expect(assertCheckpointBelongs(manifest, 'model', foreign, 'other')).rejects.toThrow(
      /this checkpoint does not belong to this model: other \(epoch 3, seed 8\) .*provenance differs \(epochs 0 in the manifest, 3 in the checkpoint; seed 1 in the manifest, 8 in the checkpoint\)/,
    );
  });
});

describe('parity building blocks', () => {
  let model: VaeModel;
  beforeAll(async () => {
    model = await VaeModel.load(nodeFileSource(modelA), { device: 'cpu', backends: [onnxruntimeNodeBackend] });
  });
  afterAll(async () => model?.release());

  it('elboVia reproduces VaeModel.elbo bit for bit; logLikelihoodVia VaeModel.logLikelihood (its scorer graph) within 1e-4 nats', async () => {
    const inputs = buildParityInputs(model.manifest, { batch: 8, seed: 3, samples: 16 });
    const info = { likelihood: model.manifest.likelihood, gaussianSigma: model.manifest.gaussianSigma };
    const f = { encode: (x: typeof inputs.x) => model.encode(x), decode: (z: typeof inputs.z) => model.decode(z) };
    expect(Array.from(await elboVia(f, info, inputs.x, { seed: 5 }))).toEqual(
      Array.from(await model.elbo(inputs.x, { seed: 5 })),
    );
    const a = await logLikelihoodVia(f, info, inputs.x, { samples: 16, seed: 6, chunkSize: 16 });
    const b = await model.logLikelihood(inputs.x, { samples: 16, seed: 6, chunkSize: 16 });
    a.forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-4));
    // log p(x) (K = 16) is a tighter bound than the single-sample ELBO on average.
    const elbo = await model.elbo(inputs.x, { seed: 5 });
    expect(a.reduce((s, v) => s + v, 0) / a.length).toBeGreaterThan(elbo.reduce((s, v) => s + v, 0) / elbo.length);
  });

  it('builds identical seeded inputs for the same seed and different ones for another', () => {
    const m = { imageShape: [28, 28, 1] as const, latentDim: 4, numClasses: 10 };
    const a = buildParityInputs(m, { batch: 5, seed: 9, samples: 4 });
    const b = buildParityInputs(m, { batch: 5, seed: 9, samples: 4 });
    const c = buildParityInputs(m, { batch: 5, seed: 10, samples: 4 });
    expect(a.x.data).toEqual(b.x.data);
    expect(a.z.data).toEqual(b.z.data);
    expect(a.y!.data).toEqual(b.y!.data);
    expect(a.x.data).not.toEqual(c.x.data);
    for (const v of a.x.data) expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-3);
    expect(a.y!.shape).toEqual([5, 10]);
    expect([a.elboSeed, a.isSeed]).toEqual([10, 11]);
  });

  it('parses --tolerance and picks the looser device class; same-precision weights compare as fp32', () => {
    expect(parseToleranceOverride('x_logits=1e-4')).toEqual({ output: 'x_logits', tolerance: { abs: 1e-4, rel: 0 } });
    expect(parseToleranceOverride('elbo=0,2e-5')).toEqual({ output: 'elbo', tolerance: { abs: 0, rel: 2e-5 } });
    expect(() => parseToleranceOverride('elbo=-1')).toThrow(/--tolerance: expected a non-negative number for ABS/);
    expect(() => parseToleranceOverride('elbo')).toThrow(/OUTPUT=ABS\[,REL\]/);
    expect(toleranceFor('mu', 'exact', 'exact', 'fp32')).toEqual({ abs: 3e-5, rel: 1e-5 });
    expect(toleranceFor('mu', 'reassociated', 'exact', 'fp32')).toEqual({ abs: 1e-4, rel: 1e-5 });
    expect(toleranceFor('elbo', 'exact', 'exact', 'fp32')).toEqual({ abs: 0, rel: 1e-5 });
    expect(toleranceFor('mu', 'exact', 'exact', 'fp32', [parseToleranceOverride('*=1,2')])).toEqual({ abs: 1, rel: 2 });
    expect(comparisonPrecision('int8', 'int8')).toBe('fp32');
    expect(comparisonPrecision('int8', 'fp32')).toBe('int8');
    expect(comparisonPrecision('fp32', 'fp16')).toBe('fp16');
  });

  it('maps results to exit codes: violation 1, unavailable 2, else 0', () => {
    const base = { device: 'cpu', arithmetic: 'exact' as const, requested: true, outputs: [] };
    expect(
      exitCodeFor([
        { ...base, runtime: 'ort-node-cpu', status: 'reference' },
        { ...base, runtime: 'ort-web-wasm', status: 'pass' },
      ]),
    ).toBe(0);
    expect(exitCodeFor([{ ...base, runtime: 'ort-web-wasm', status: 'skipped' }])).toBe(0);
    expect(exitCodeFor([{ ...base, runtime: 'ort-node-cuda', status: 'error' }])).toBe(2);
    expect(
      exitCodeFor([
        { ...base, runtime: 'ort-node-cuda', status: 'error' },
        { ...base, runtime: 'ort-web-wasm', status: 'fail' },
      ]),
    ).toBe(1);
  });
});
