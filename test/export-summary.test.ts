import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, createModelSpec, initParameters } from '@vae/core';
import { DEFAULT_TRAIN_CONFIG, saveCheckpoint } from '@vae/train';
import { runCliCaptured } from './cli-capture.js';

/** `vae export`'s summary lists every file it wrote with its size: it left out scorer.onnx, the third graph. */
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function runFolder(kind: 'vae' | 'ae'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vae-export-summary-'));
  dirs.push(dir);
  const spec = createModelSpec({ kind, imageShape: [4, 4, 1], hidden: [5], latentDim: 3 });
  await saveCheckpoint(dir, {
    spec,
    params: initParameters(spec, new Rng(3)),
    config: { ...DEFAULT_TRAIN_CONFIG, runDir: dir },
    epoch: 1,
    step: 1,
    rng: new Rng(1).getState(),
    optimizer: null,
    engine: 'ort',
    backend: 'cpu',
  });
  return dir;
}

describe('vae export prints every file it wrote', () => {
  it('a VAE: encoder, decoder, scorer (with its signature), golden and manifest, each with its size on disk', async () => {
    const run = await runFolder('vae');
    const out = join(run, 'model');
    const r = await runCliCaptured(['export', '--run', run, '--out', out, '--log-level', 'warn']);
    expect(r.code, r.stderr).toBe(0);
    for (const file of ['encoder.onnx', 'decoder.onnx', 'scorer.onnx', 'golden.json', 'manifest.json']) {
      const bytes = (await stat(join(out, file))).size;
      expect(r.stdout, file).toMatch(new RegExp(`^  ${file.replace('.', '\\.')} +${bytes} B`, 'm'));
    }
    expect(r.stdout).toMatch(
      /^ {2}scorer\.onnx +\d+ B {2}\(.+ KiB\) {2}x, mu, logvar, eps → .+ \(importance-sampled log p\(x\)\)$/m,
    );
  });

  it('an autoencoder has no scorer, and the summary does not list one', async () => {
    const run = await runFolder('ae');
    const r = await runCliCaptured(['export', '--run', run, '--out', join(run, 'model'), '--log-level', 'warn']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}encoder\.onnx /m);
    expect(r.stdout).not.toMatch(/scorer/);
  });
});

describe("vae export's provenance", () => {
  it("records this checkout's commit, not that of the git repository the user runs it in", async () => {
    const run = await runFolder('vae');
    const userRepo = await mkdtemp(join(tmpdir(), 'vae-user-repo-'));
    dirs.push(userRepo);
    const git = (args: string[], cwd: string) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
    git(['init', '-q'], userRepo);
    git(
      ['-c', 'user.name=u', '-c', 'user.email=u@example.com', 'commit', '-q', '--allow-empty', '-m', 'user'],
      userRepo,
    );
    const ours = git(['rev-parse', 'HEAD'], import.meta.dirname);
    const cwd = process.cwd();
    process.chdir(userRepo);
    try {
      const r = await runCliCaptured(['export', '--run', run, '--out', join(run, 'model'), '--log-level', 'warn']);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    const manifest = JSON.parse(await readFile(join(run, 'model', 'manifest.json'), 'utf8'));
    expect(manifest.provenance.commit).toBe(ours);
    expect(ours).not.toBe(git(['rev-parse', 'HEAD'], userRepo));
  });
});
