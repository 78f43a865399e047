import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, tf } from '../src/engines/tfjs/index.js';
import { conv2dOp, conv2dTransposeOp } from '../src/engines/tfjs/tfjs-conv.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

function relErr(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / tf.max(tf.abs(b)).dataSync()[0]!);
}

const configs = [
  [4, 2, 'same'],
  [3, 1, 'same'],
  [3, 2, 'valid'],
  [5, 3, 'same'],
  [2, 2, 'valid'],
] as const;

describe('conv ops with backend-independent gradients', () => {
  it.each(configs)('conv2d k=%i s=%i %s: value and both gradients equal tfjs cpu kernels', (k, s, pad) => {
    const x = tf.randomNormal([3, 9, 7, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([k, k, 2, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const ref = (a: tf.Tensor, b: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)
        .square()
        .sum();
    const ours = (a: tf.Tensor, b: tf.Tensor) =>
      conv2dOp(a as tf.Tensor4D, b as tf.Tensor4D, s, pad)
        .square()
        .sum();
    expect(relErr(conv2dOp(x, w, s, pad), tf.conv2d(x, w, s, pad))).toBe(0);
    const [dx1, dw1] = tf.grads(ref)([x, w]);
    const [dx2, dw2] = tf.grads(ours)([x, w]);
    expect(relErr(dx2!, dx1!)).toBeLessThan(1e-6);
    expect(relErr(dw2!, dw1!)).toBeLessThan(1e-5);
  });

  it.each(configs)('conv2dTranspose k=%i s=%i %s: value and both gradients equal tfjs cpu kernels', (k, s, pad) => {
    const y = tf.randomNormal(
      [
        3,
        pad === 'same' ? Math.ceil(9 / s) : Math.floor((9 - k) / s) + 1,
        pad === 'same' ? Math.ceil(7 / s) : Math.floor((7 - k) / s) + 1,
        4,
      ],
      0,
      1,
      'float32',
      3,
    ) as tf.Tensor4D;
    const w = tf.randomNormal([k, k, 2, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
    const out: [number, number, number] =
      pad === 'same' ? [y.shape[1] * s, y.shape[2] * s, 2] : [(y.shape[1] - 1) * s + k, (y.shape[2] - 1) * s + k, 2];
    const ref = (a: tf.Tensor, b: tf.Tensor) =>
      tf
        .conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [3, ...out], s, pad)
        .square()
        .sum();
    const ours = (a: tf.Tensor, b: tf.Tensor) =>
      conv2dTransposeOp(a as tf.Tensor4D, b as tf.Tensor4D, out, s, pad)
        .square()
        .sum();
    expect(relErr(conv2dTransposeOp(y, w, out, s, pad), tf.conv2dTranspose(y, w, [3, ...out], s, pad))).toBe(0);
    const [dy1, dw1] = tf.grads(ref)([y, w]);
    const [dy2, dw2] = tf.grads(ours)([y, w]);
    expect(relErr(dy2!, dy1!)).toBeLessThan(1e-6);
    expect(relErr(dw2!, dw1!)).toBeLessThan(1e-5);
  });

  it('the filter gradient runs on wasm (which has no Conv2DBackpropFilter kernel) and matches cpu', async () => {
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const w = tf.randomNormal([4, 4, 3, 5], 0, 1, 'float32', 6) as tf.Tensor4D;
    const f = (b: tf.Tensor) =>
      conv2dOp(x, b as tf.Tensor4D, 2, 'same')
        .square()
        .sum();
    const cpu = tf.grad(f)(w).dataSync();
    const xs = x.dataSync();
    const ws = w.dataSync();
    await selectBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const x2 = tf.tensor4d(xs, [2, 8, 8, 3]);
    const w2 = tf.tensor4d(ws, [4, 4, 3, 5]);
    const wasm = tf
      .grad((b: tf.Tensor) =>
        conv2dOp(x2, b as tf.Tensor4D, 2, 'same')
          .square()
          .sum(),
      )(w2)
      .dataSync();
    let m = 0;
    let ref = 0;
    for (let i = 0; i < cpu.length; i++) {
      m = Math.max(m, Math.abs(cpu[i]! - wasm[i]!));
      ref = Math.max(ref, Math.abs(cpu[i]!));
    }
    expect(m / ref).toBeLessThan(1e-5);
    await selectBackend('cpu');
  });
});
