import { tf } from './tf.js';

/**
 * 2-D convolutions in TensorFlow semantics (HWC, kernels in TF layout, TF's `same`/`valid` padding
 * and output sizes) whose gradients use only kernels every tfjs backend has. The forward passes are
 * tfjs' own `conv2d` / `conv2dTranspose`; the filter gradient, for which tfjs' wasm backend has no
 * kernel (`Conv2DBackpropFilter`) and the cpu backend a very slow one, is computed as a dilated
 * `conv2d` with the batch moved into the channel axis.
 */

type CustomGrad = Parameters<typeof tf.customGrad>[0];

function samePadding(size: number, k: number, s: number): number {
  const out = Math.ceil(size / s);
  return Math.floor(Math.max((out - 1) * s + k - size, 0) / 2);
}

/**
 * The filter gradient of `z = conv2d(input, W, s, padding)`: `dW[ky, kx, i, o] =
 * Σ_{b, y, x} input_pad[b, y·s + ky, x·s + kx, i] · dOut[b, y, x, o]`, shape `[k, k, Ci, Co]`.
 * (For `conv2dTranspose(x, W)` the filter gradient is this with `input = dy`, `dOut = x`.)
 */
export function conv2dFilterGrad(
  input: tf.Tensor4D,
  dOut: tf.Tensor4D,
  k: number,
  s: number,
  padding: 'same' | 'valid',
): tf.Tensor4D {
  const [, h, w] = input.shape;
  const [, oh, ow] = dOut.shape;
  const pt = padding === 'same' ? samePadding(h, k, s) : 0;
  const pl = padding === 'same' ? samePadding(w, k, s) : 0;
  const hp = Math.max(h + pt, (oh - 1) * s + k);
  const wp = Math.max(w + pl, (ow - 1) * s + k);
  const padded = tf.pad(input, [
    [0, 0],
    [pt, hp - h - pt],
    [pl, wp - w - pl],
    [0, 0],
  ]);
  // [B, Hp, Wp, Ci] → [Ci, Hp, Wp, B]: the batch becomes the channel that the filter sums over.
  const xt = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D;
  // [B, oh, ow, Co] → [oh, ow, B, Co]: dOut becomes the filter, dilated by the stride.
  const ft = tf.transpose(dOut, [1, 2, 0, 3]) as tf.Tensor4D;
  const g = tf.conv2d(xt, ft, 1, 'valid', 'NHWC', s);
  const [ci, gh, gw, co] = g.shape;
  const cut = gh === k && gw === k ? g : tf.slice(g, [0, 0, 0, 0], [ci, k, k, co]);
  return tf.transpose(cut, [1, 2, 0, 3]) as tf.Tensor4D;
}

/** `tf.conv2d(x, kernel, s, padding)` (kernel `[k, k, C, O]`) with backend-independent gradients. */
export function conv2dOp(x: tf.Tensor4D, kernel: tf.Tensor4D, s: number, padding: 'same' | 'valid'): tf.Tensor4D {
  const k = kernel.shape[0];
  const f = tf.customGrad(((a: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a, w]);
    return {
      value: tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, s, padding),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [
          tf.conv2dTranspose(dy as tf.Tensor4D, sw, sa.shape, s, padding),
          conv2dFilterGrad(sa, dy as tf.Tensor4D, k, s, padding),
        ];
      },
    };
  }) as unknown as CustomGrad);
  return f(x, kernel) as tf.Tensor4D;
}

/**
 * `tf.conv2dTranspose` in TF semantics (kernel `[k, k, O, C]`, output `[B, oh, ow, O]` with TF's size
 * rule) with backend-independent gradients.
 */
export function conv2dTransposeOp(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  outShape: [number, number, number],
  s: number,
  padding: 'same' | 'valid',
): tf.Tensor4D {
  const k = kernel.shape[0];
  const f = tf.customGrad(((a: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    save([a, w]);
    const batch = a.shape[0]!;
    return {
      value: tf.conv2dTranspose(a as tf.Tensor4D, w as tf.Tensor4D, [batch, ...outShape], s, padding),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [tf.conv2d(dy as tf.Tensor4D, sw, s, padding), conv2dFilterGrad(dy as tf.Tensor4D, sa, k, s, padding)];
      },
    };
  }) as unknown as CustomGrad);
  return f(x, kernel) as tf.Tensor4D;
}
