import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphSignatureError, ManifestError, VaeModel, parseManifest, setLogLevel } from '@vae/core';
import { loadModel, nodeFileSource } from '@vae/runtime-node';
import { nodeWebBackend } from '@vae/runtime-web/node';
import { REFERENCE_MODEL, runVae } from './parity-fixtures.js';

/**
 * The reference model directory with a manifest that says latentDim 19 everywhere (top level, spec,
 * graph entries, the optional scorer's too) while both graphs really have 20: self-consistent, so only the loaded sessions can
 * tell. Every runtime must refuse it at load time, naming manifest.latentDim.
 */
let dir: string;
const LATENT_MESSAGE =
  /manifest\.latentDim: expected 19 \(dimension 1 of mu is 19 in manifest\.graphs\.encoder\.outputs\[0\]\), got 20: encoder\.onnx output "mu" has shape \[batch, 20\]/;

beforeAll(async () => {
  setLogLevel('warn');
  dir = join(await mkdtemp(join(tmpdir(), 'vae-bad-manifest-')), 'model');
  await cp(REFERENCE_MODEL, dir, { recursive: true });
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  m.latentDim = 19;
  m.spec.latentDim = 19;
  for (const g of [m.graphs.encoder, m.graphs.decoder, m.graphs.scorer].filter(Boolean)) {
    for (const t of [...g.inputs, ...g.outputs])
      if (['mu', 'logvar', 'z', 'eps'].includes(t.name)) t.shape = ['batch', 19];
  }
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
  expect(() => parseManifest(m)).not.toThrow();
});
afterAll(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

describe('a manifest that disagrees with its graphs refuses to load', () => {
  it('runtime-node (onnxruntime-node, cpu)', async () => {
    const err = await loadModel(dir, { device: 'cpu' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphSignatureError);
    expect((err as GraphSignatureError).field).toBe('manifest.latentDim');
    expect((err as Error).message).toMatch(LATENT_MESSAGE);
  });

  it('runtime-web in Node (onnxruntime-web, wasm)', async () => {
    const err = await VaeModel.load(nodeFileSource(dir), { device: 'wasm', backends: [nodeWebBackend()] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GraphSignatureError);
    expect((err as Error).message).toMatch(LATENT_MESSAGE);
  });

  it('the untouched reference model still loads on both', async () => {
    const a = await loadModel(REFERENCE_MODEL, { device: 'cpu' });
    const b = await VaeModel.load(nodeFileSource(REFERENCE_MODEL), { device: 'wasm', backends: [nodeWebBackend()] });
    expect([a.latentDim, b.latentDim]).toEqual([20, 20]);
    await Promise.all([a.release(), b.release()]);
  });

  it('a manifest whose graph entries disagree with its own latentDim fails validation, naming the entry', async () => {
    const m = JSON.parse(await readFile(join(REFERENCE_MODEL, 'manifest.json'), 'utf8'));
    m.graphs.decoder.inputs[0].shape = ['batch', 21];
    expect(() => parseManifest(m)).toThrow(ManifestError);
    expect(() => parseManifest(m)).toThrow(
      /manifest\.graphs\.decoder\.inputs: expected z \[batch, 20\] float32 \(from manifest\.kind, imageShape, latentDim, numClasses\), got "z \[batch, 21\] float32"/,
    );
  });

  it('vae serve --model <bad> exits 1 with the message instead of serving', async () => {
    const r = await runVae(['serve', '--model', dir, '--port', '0', '--device', 'cpu'], 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(LATENT_MESSAGE);
  }, 90_000);
});
