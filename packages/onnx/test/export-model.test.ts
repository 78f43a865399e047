import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MANIFEST_FILE,
  Rng,
  createModelSpec,
  initParameters,
  parametersSha256,
  parseManifest,
  setLogLevel,
  sha256Hex,
  type ModelSpec,
} from '@vae/core';
import { exportModel, readModelDirectory } from '../src/index.js';

const spec = createModelSpec({ kind: 'cvae', imageShape: [8, 8, 1], hidden: [16], latentDim: 3, numClasses: 4 });
const params = initParameters(spec, new Rng(5));
const provenance = {
  dataset: 'mnist',
  epochs: 3,
  seed: 5,
  valElbo: -123.5,
  engine: 'tfjs',
  backend: 'cpu',
  commit: 'abc1234',
  exportedAt: '2026-11-21T05:00:00.000Z',
};

let root: string;
beforeAll(async () => {
  setLogLevel('warn');
  root = await mkdtemp(join(tmpdir(), 'export-model-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('exportModel', () => {
  it('writes encoder.onnx, decoder.onnx, scorer.onnx (variational) and a manifest that validates and matches the files', async () => {
    const outDir = join(root, 'cvae');
    const res = await exportModel({ spec, params, provenance, outDir, precision: 'fp32', name: 'tiny-cvae' });
    expect((await readdir(outDir)).sort()).toEqual(['decoder.onnx', 'encoder.onnx', 'manifest.json', 'scorer.onnx']);
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
    const manifest = parseManifest(JSON.parse(await readFile(join(outDir, MANIFEST_FILE), 'utf8')));
    expect(manifest).toEqual(res.manifest);
    expect(manifest.name).toBe('tiny-cvae');
    expect(manifest.kind).toBe('cvae');
    expect(manifest.variational).toBe(true);
    expect(manifest.numClasses).toBe(4);
    expect(manifest.precision).toBe('fp32');
    expect(manifest.opset).toBe(17);
    expect(manifest.irVersion).toBe(8);
    expect(manifest.logvarClamp).toEqual([-30, 20]);
    expect(manifest.provenance).toEqual({ ...provenance, paramsSha256: await parametersSha256(spec, params) });
    expect(manifest.provenance.paramsSha256).not.toBe(await parametersSha256(spec, initParameters(spec, new Rng(6))));
    expect(manifest.graphs.encoder.inputs.map((t) => [t.name, t.shape])).toEqual([
      ['x', ['batch', 64]],
      ['y', ['batch', 4]],
    ]);
    expect(manifest.graphs.encoder.outputs.map((t) => t.name)).toEqual(['mu', 'logvar']);
    expect(manifest.graphs.decoder.outputs.map((t) => [t.name, t.shape])).toEqual([
      ['x_logits', ['batch', 64]],
      ['x_mean', ['batch', 64]],
    ]);
    expect(manifest.graphs.scorer!.inputs.map((t) => t.name)).toEqual(['x', 'mu', 'logvar', 'eps', 'y']);
    expect(manifest.graphs.scorer!.outputs).toEqual([{ name: 'log_weight_sum', shape: ['batch'], dtype: 'float32' }]);
    const enc = new Uint8Array(await readFile(join(outDir, 'encoder.onnx')));
    expect(manifest.graphs.encoder.sha256).toBe(await sha256Hex(enc));
    expect(manifest.graphs.encoder.bytes).toBe(enc.length);
    expect(res.sizes.encoder).toBe(enc.length);
    const dir = await readModelDirectory(outDir);
    expect(dir.decoder.length).toBe(manifest.graphs.decoder.bytes);
  });

  it('replaces an existing model directory only with a complete new one', async () => {
    const outDir = join(root, 'replace');
    await exportModel({ spec, params, provenance, outDir });
    const first = JSON.parse(await readFile(join(outDir, MANIFEST_FILE), 'utf8'));
    await exportModel({
      spec,
      params: initParameters(spec, new Rng(6)),
      provenance: { ...provenance, seed: 6 },
      outDir,
      precision: 'fp16',
    });
    const second = JSON.parse(await readFile(join(outDir, MANIFEST_FILE), 'utf8'));
    expect(first.precision).toBe('fp32');
    expect(second.precision).toBe('fp16');
    expect(second.graphs.encoder.sha256).not.toBe(first.graphs.encoder.sha256);
    expect((await readdir(root)).filter((f) => f.startsWith('.'))).toEqual([]);
    await readModelDirectory(outDir);
  });

  it('refuses to replace a directory that is not a model directory', async () => {
    const outDir = join(root, 'not-a-model');
    await mkdir(outDir);
    await writeFile(join(outDir, 'precious.txt'), 'keep me');
    await expect(exportModel({ spec, params, provenance, outDir })).rejects.toThrow(/refusing to replace/);
    expect(await readFile(join(outDir, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  it('fails clearly on an unwritable output and leaves nothing behind', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    const before = (await readdir(root)).sort();
    await expect(exportModel({ spec, params, provenance, outDir: join(file, 'model') })).rejects.toThrow(
      /outDir: could not write the model directory .*a-file\/model/,
    );
    expect((await readdir(root)).sort()).toEqual(before);
  });

  it('fails on an unsupported layer before writing anything', async () => {
    const bad = { ...spec, decoder: [{ type: 'lstm', units: 4 }, ...spec.decoder] } as unknown as ModelSpec;
    const outDir = join(root, 'bad-layer');
    await expect(exportModel({ spec: bad, params, provenance, outDir })).rejects.toThrow(/decoder\[0\].*lstm/);
    expect((await readdir(root)).includes('bad-layer')).toBe(false);
  });
});

describe('readModelDirectory', () => {
  it('rejects a graph whose checksum does not match', async () => {
    const outDir = join(root, 'tampered');
    await exportModel({ spec, params, provenance, outDir });
    const path = join(outDir, 'decoder.onnx');
    const bytes = new Uint8Array(await readFile(path));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(path, bytes);
    await expect(readModelDirectory(outDir)).rejects.toThrow(
      /decoder\.onnx: checksum mismatch: expected SHA-256 [0-9a-f]{64} \(manifest\), got [0-9a-f]{64}/,
    );
  });

  it('rejects a malformed manifest naming the field', async () => {
    const outDir = join(root, 'malformed');
    await exportModel({ spec, params, provenance, outDir });
    const path = join(outDir, MANIFEST_FILE);
    const m = JSON.parse(await readFile(path, 'utf8'));
    m.graphs.encoder.sha256 = 'nothex';
    await writeFile(path, JSON.stringify(m));
    await expect(readModelDirectory(outDir)).rejects.toThrow(
      /manifest\.graphs\.encoder\.sha256: expected 64 lower-case hex digits, got "nothex"/,
    );
    await writeFile(path, '{ not json');
    await expect(readModelDirectory(outDir)).rejects.toThrow(/manifest\.json: expected JSON/);
  });

  it('rejects a missing directory', async () => {
    await expect(readModelDirectory(join(root, 'nope'))).rejects.toThrow(
      /nope\/manifest\.json: expected a model directory/,
    );
  });
});
