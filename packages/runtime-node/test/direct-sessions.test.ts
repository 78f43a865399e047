import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { directBindingStatus, requestedOrtNodeBinding } from '@vae/device-node';
import { describe, expect, it } from 'vitest';
import { cpuBindingSummary, openDirectSession } from '../src/direct-sessions.js';
import { onnxruntimeNodeBackend } from '../src/index.js';

const MODEL = fileURLToPath(new URL('../../../models/mnist-vae', import.meta.url));
const status = directBindingStatus();
const OPTIONS = { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 } as const;

describe('the binding of inference sessions', () => {
  it('reads VAE_ORT_BINDING (default auto) and names it when the value is bad', () => {
    expect(requestedOrtNodeBinding({})).toBe('auto');
    expect(requestedOrtNodeBinding({ VAE_ORT_BINDING: 'onnxruntime-node' })).toBe('onnxruntime-node');
    expect(() => requestedOrtNodeBinding({ VAE_ORT_BINDING: 'fast' })).toThrow(
      'VAE_ORT_BINDING: expected auto|direct|onnxruntime-node, got "fast"',
    );
  });

  it('says in words what CPU sessions call', () => {
    expect(cpuBindingSummary('onnxruntime-node')).toBe('onnxruntime-node (VAE_ORT_BINDING=onnxruntime-node)');
    expect(cpuBindingSummary('auto')).toMatch(
      status.available
        ? /^onnxruntime \d+\.\d+\.\d+ C API, called directly$/
        : /^onnxruntime-node \(direct binding unavailable: /,
    );
  });

  it('auto falls back to onnxruntime-node where a direct session cannot honour the options; direct says why', async () => {
    const model = new Uint8Array(await readFile(join(MODEL, 'encoder.onnx')));
    expect(openDirectSession(model, { enableProfiling: true }, 'auto')).toBeNull();
    expect(openDirectSession(model, OPTIONS, 'onnxruntime-node')).toBeNull();
    expect(() => openDirectSession(model, { enableProfiling: true }, 'direct')).toThrow(
      /enableProfiling are onnxruntime-node's only|direct onnxruntime binding unavailable/,
    );
  });
});

describe.runIf(status.available)('direct inference sessions', () => {
  const x = (rows: number, seed: number) => ({
    data: new Float32Array(rows * 784).map((_, i) => ((i * 7919 + seed * 104729) % 1000) / 1000),
    shape: [rows, 784],
  });

  it('compute what onnxruntime-node computes, bit for bit, with its metadata', async () => {
    for (const part of ['encoder', 'decoder', 'scorer']) {
      const model = new Uint8Array(await readFile(join(MODEL, `${part}.onnx`)));
      const direct = openDirectSession(model, OPTIONS, 'direct')!;
      const node = await onnxruntimeNodeBackend.createSession(model, { device: 'cpu', threads: 1 });
      // The backend itself opens direct sessions under auto; this one is forced onto onnxruntime-node.
      const prev = process.env.VAE_ORT_BINDING;
      process.env.VAE_ORT_BINDING = 'onnxruntime-node';
      const bare = await onnxruntimeNodeBackend.createSession(model, { device: 'cpu', threads: 1 });
      if (prev === undefined) delete process.env.VAE_ORT_BINDING;
      else process.env.VAE_ORT_BINDING = prev;
      expect(direct.inputMetadata, part).toEqual(bare.inputMetadata);
      expect(direct.outputMetadata, part).toEqual(bare.outputMetadata);
      const feeds = Object.fromEntries(
        bare.inputMetadata.map((m, k) => {
          const width = Number(m.shape![1] ?? 1);
          return [
            m.name,
            {
              data: x(3, k)
                .data.subarray(0, 3 * width)
                .slice(),
              shape: [3, width],
            },
          ];
        }),
      );
      const [a, b, c] = await Promise.all([direct.run(feeds), bare.run(feeds), node.run(feeds)]);
      for (const name of bare.outputNames) {
        expect(a[name]!.data, `${part}.${name}`).toEqual(b[name]!.data);
        expect(c[name]!.data, `${part}.${name}`).toEqual(b[name]!.data);
        expect(a[name]!.shape).toEqual(b[name]!.shape);
      }
      await Promise.all([direct.release(), node.release(), bare.release()]);
    }
  });

  it('leave the event loop a turn during a long chain of runs (each run itself is synchronous)', async () => {
    const model = new Uint8Array(await readFile(join(MODEL, 'encoder.onnx')));
    const session = openDirectSession(model, OPTIONS, 'direct')!;
    const batch = x(256, 1);
    let turnedAt = -1;
    let runs = 0;
    setImmediate(() => {
      turnedAt = runs;
    });
    // ~1 ms per run: a turn is due after 10 ms of runs, long before the 200th.
    for (; runs < 200 && turnedAt < 0; runs++) await session.run({ x: batch });
    await session.release();
    expect(turnedAt).toBeGreaterThan(0);
    expect(turnedAt).toBeLessThan(200);
  });
});
