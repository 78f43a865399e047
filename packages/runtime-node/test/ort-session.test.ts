import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { onnxruntimeNodeBackend } from '../src/index.js';

const ENCODER = join(fileURLToPath(new URL('../../../models/mnist-vae', import.meta.url)), 'encoder.onnx');

describe('OrtSession on onnxruntime-node', () => {
  it('runs concurrent calls in call order, rejects unknown feeds by name, and release waits for queued runs', async () => {
    const session = await onnxruntimeNodeBackend.createSession(new Uint8Array(await readFile(ENCODER)), {
      device: 'cpu',
      threads: 1,
    });
    const x = (v: number) => ({ data: new Float32Array(784).fill(v), shape: [1, 784] });
    await expect(session.run({ x: x(0), z: x(0) })).rejects.toThrow(/feeds: expected inputs x, got unknown "z"/);
    const order: number[] = [];
    const runs = [0.1, 0.5, 0.9].map((v, i) =>
      session.run({ x: x(v) }).then((out) => {
        order.push(i);
        return out;
      }),
    );
    const released = session.release();
    const outs = await Promise.all(runs);
    await released;
    expect(order).toEqual([0, 1, 2]);
    expect(outs[0]!.mu!.data).not.toEqual(outs[2]!.mu!.data);
    // Outputs are onnxruntime's own fresh arrays (no second copy): nothing shared between runs or outputs.
    const buffers = outs.flatMap((o) => [o.mu!.data.buffer, o.logvar!.data.buffer]);
    expect(new Set(buffers).size).toBe(buffers.length);
    expect(outs.every((o) => o.mu!.data.byteLength === o.mu!.data.buffer.byteLength)).toBe(true);
    await expect(session.run({ x: x(0) })).rejects.toThrow(/expected a live session, got a released one/);
  });
});
