import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, setLogLevel } from '@vae/core';
import { GraphBuilder, attr } from '@vae/onnx';
import {
  analyzeGraph,
  readTensorFile,
  runOnnxParity,
  writeTensorFile,
  type OnnxParityReport,
  type ParityReport,
} from '@vae/parity';
import { runCliCaptured as run } from './cli-capture.js';
import { HAS_CHROMIUM, exportTo, perturbed, tempDir, tinyModel } from './parity-fixtures.js';

setLogLevel('warn');

// The CLI runs in this process (runCli, output captured): the same commands without a tsx start-up each.

/** The one browser case (its page runs the graphs, one Chromium launch); wasm in Node without Chromium. */
const BROWSER_CANDIDATE = HAS_CHROMIUM ? 'ort-web-wasm@chromium' : 'ort-web-wasm';

let dir: string;
let modelA: string;
let modelB: string;
let onnxFile: string;

/** A small graph no manifest describes: x [batch, 3] → Gemm → Tanh → y, and Sigmoid(x)·2 → s. */
function buildGraph(): Uint8Array {
  const rng = new Rng(5);
  const g = new GraphBuilder('plain');
  const x = g.input('x', ['batch', 3]);
  const w = g.initializer('w', { data: rng.normals(12), shape: [3, 4] });
  const b = g.initializer('b', { data: rng.normals(4), shape: [4] });
  g.output(g.op('Tanh', [g.op('Gemm', [x, w, b])], {}, 'y'), ['batch', 4]);
  const two = g.constFloat32('two', [2], []);
  g.output(g.op('Mul', [g.op('Sigmoid', [x]), two], {}, 's'), ['batch', 3]);
  g.op('Cast', [x], { to: attr.int(7) });
  return g.toBytes();
}

beforeAll(async () => {
  dir = await tempDir('vae-parity-bisect-');
  const { spec, params } = tinyModel();
  modelA = await exportTo(join(dir, 'a'), spec, params);
  // One initializer of the log σ² head perturbed; the μ head (an untouched sibling reading the same
  // hidden layer, earlier in graph order) must not be blamed.
  modelB = await exportTo(join(dir, 'b'), spec, perturbed(params, 'encoder.logvar.bias', 1e-3));
  onnxFile = join(dir, 'plain.onnx');
  await writeFile(onnxFile, buildGraph());
});

describe('vae parity --bisect', () => {
  it('names the first node that reads the perturbed initializer, with its inputs’ errors and a repro that reproduces', async () => {
    const json = join(dir, 'bisect.json');
    const r = await run([
      'parity',
      ...['--model', modelB, '--against', modelA, '--runtimes', 'ort-node-cpu'],
      ...['--bisect', '--batch', '8', '--samples', '4', '--json', json],
    ]);
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(`Parity of tiny (fp32) ${modelB} against reference ort-node-cpu`);
    const report = JSON.parse(await readFile(json, 'utf8')) as ParityReport;
    const encoder = analyzeGraph(new Uint8Array(await readFile(join(modelA, 'encoder.onnx'))), 'encoder');
    const reader = (init: string) => encoder.nodes.find((n) => n.inputs.includes(init))!;
    const logvarHead = reader('encoder.logvar.bias');
    const muHead = reader('encoder.mu.bias');
    expect(muHead.index).toBeLessThan(logvarHead.index);
    const b = report.bisect!;
    expect(b).toMatchObject({ graph: 'encoder', node: logvarHead.name, op: 'Gemm', runtime: 'ort-node-cpu' });
    expect(b.maxAbs!).toBeGreaterThan(0.9e-3);
    expect(b.maxAbs!).toBeLessThan(1.1e-3);
    expect(b.trace.find((t) => t.node === muHead.name)).toMatchObject({ maxAbs: 0, pass: true });
    const inputs = Object.fromEntries(b.inputs.map((i) => [i.name, i]));
    expect(inputs['encoder.logvar.bias']!.role).toBe('initializer');
    expect(inputs['encoder.logvar.bias']!.stats!.maxAbs).toBeCloseTo(1e-3, 6);
    expect(inputs['encoder.logvar.kernel']!.stats!.maxAbs).toBe(0);
    expect(b.graphs.map((g) => g.graph)).toEqual(['encoder']);
    expect(b.repro).toBe(join(dir, 'bisect.bisect.onnx'));
    expect(r.stdout).toContain(`First divergent node: encoder / ${logvarHead.name} (Gemm)`);
    // The repro is the single node: its hidden input a graph input, its weights initializers.
    const repro = analyzeGraph(new Uint8Array(await readFile(b.repro!)), 'repro');
    expect(repro.nodes.map((n) => n.op)).toEqual(['Gemm']);
    expect(repro.inputs.map((i) => i.name)).toEqual(logvarHead.inputs.filter((i) => !encoder.initializers.has(i)));
    // Its golden file holds the reference's values: the perturbed node fails against them, alone.
    const again = await runOnnxParity({ file: b.repro!, loadOutputs: b.reproGolden!, runtimes: ['ort-node-cpu'] });
    expect(again.exitCode).toBe(1);
    expect(again.runtimes[0]!.outputs[0]!.stats.maxAbs).toBeCloseTo(b.maxAbs!, 6);
  });

  it(`finds no divergent node between two runtimes on the same graph (${BROWSER_CANDIDATE}), and refuses an ambiguous pair`, async () => {
    const runtimes = ['ort-node-cpu', BROWSER_CANDIDATE];
    const ok = await runOnnxParity({ file: onnxFile, runtimes, bisect: true, dims: { batch: 4 } });
    expect(ok.exitCode, ok.problems.join('\n')).toBe(0);
    expect(ok.bisect).toMatchObject({ runtime: BROWSER_CANDIDATE, reference: 'ort-node-cpu', node: null, repro: null });
    // Gemm, Tanh, Sigmoid, Mul: every float32 node compared (the int64 Cast is not).
    expect(ok.bisect!.trace.map((t) => t.op)).toEqual(['Gemm', 'Tanh', 'Sigmoid', 'Mul']);
    for (const t of ok.bisect!.trace) expect(t.maxAbs).toBeLessThan(1e-5);
    await expect(runOnnxParity({ file: onnxFile, bisect: true })).rejects.toThrow(
      /--bisect: expected one runtime to compare with the reference ort-node-cpu in --runtimes .*got all/,
    );
  });
});

describe('vae parity --onnx', () => {
  it('runs a model built by the test (no manifest) across runtimes and saves golden outputs', async () => {
    const json = join(dir, 'onnx.json');
    const golden = join(dir, 'golden.json');
    const r = await run([
      'parity',
      ...['--onnx', onnxFile, '--dim', 'batch=5', '--seed', '3', '--runtimes', 'ort-node-cpu,ort-web-wasm'],
      ...['--save-outputs', golden, '--json', json],
    ]);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`Parity of ${onnxFile} against reference ort-node-cpu`);
    const report = JSON.parse(await readFile(json, 'utf8')) as OnnxParityReport;
    expect(report.model.inputs).toEqual([{ name: 'x', shape: [5, 3] }]);
    expect(report.model.outputs).toEqual(['y', 's']);
    const wasm = report.runtimes.find((x) => x.runtime === 'ort-web-wasm')!;
    expect(wasm.status).toBe('pass');
    expect(wasm.outputs.map((c) => [c.output, c.stats.count])).toEqual([
      ['y', 20],
      ['s', 15],
    ]);
    const saved = await readTensorFile(golden, 'golden');
    expect(saved.runtime).toBe('ort-node-cpu');
    expect(saved.inputs.x!.shape).toEqual([5, 3]);
    expect(saved.outputs!.y!.shape).toEqual([5, 4]);
  });

  it('compares with a golden file from elsewhere: equal passes, one value moved by 1e-3 fails', async () => {
    const golden = join(dir, 'golden.json');
    const same = await runOnnxParity({ file: onnxFile, loadOutputs: golden, runtimes: ['ort-web-wasm'] });
    expect(same.exitCode, same.problems.join('\n')).toBe(0);
    expect(same.inputs).toMatchObject({ source: 'file', file: golden });
    const saved = await readTensorFile(golden, 'golden');
    const y = Float32Array.from(saved.outputs!.y!.data);
    y[7]! += 1e-3;
    const moved = join(dir, 'moved.json');
    await writeTensorFile(moved, {
      ...saved,
      outputs: { ...saved.outputs, y: { data: y, shape: saved.outputs!.y!.shape } },
    });
    const diff = await runOnnxParity({ file: onnxFile, loadOutputs: moved, runtimes: ['ort-node-cpu'] });
    expect(diff.exitCode).toBe(1);
    expect(diff.runtimes[0]!.outputs.find((c) => c.output === 'y')).toMatchObject({ violations: 1, worstIndex: 7 });
    expect(diff.reference).toBe(`golden:${moved}`);
  });

  it('names the argument, the expected and the actual value on bad input', async () => {
    await expect(runOnnxParity({ file: join(dir, 'absent.onnx') })).rejects.toThrow(
      /--onnx: expected a readable ONNX file, got .*absent\.onnx/,
    );
    await expect(runOnnxParity({ file: join(dir, 'golden.json') })).rejects.toThrow(
      /--onnx .*: expected an ONNX model/,
    );
    await expect(runOnnxParity({ file: onnxFile, loadOutputs: join(dir, 'onnx.json') })).rejects.toThrow(
      /--load-outputs: expected a vae-everywhere\/tensors file version 1, got format undefined/,
    );
    const r = await run(['parity', '--onnx', onnxFile, '--chromium', join(dir, 'no-chromium')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--chromium: expected the path of a Chromium binary, got .*no-chromium \(no such file\)/);
    expect(existsSync(join(dir, 'no-chromium'))).toBe(false);
  });
});
