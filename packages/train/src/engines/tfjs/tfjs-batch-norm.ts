import type { BatchNormLayer } from '@vae/core';
import { TF_ACTIVATIONS } from './activations-tf.js';
import { registerTfLayer } from './tfjs-layers.js';
import { tf } from './tf.js';

/**
 * The tfjs builder of core's `batch-norm` layer, the same arithmetic in the same order as its ONNX
 * emission: training uses the batch statistics (biased variance) and reports the running averages
 * (unbiased variance) for the engine to assign; evaluation uses the running statistics.
 */
registerTfLayer<BatchNormLayer>('batch-norm', ({ layer, x, state, training, updateBuffer }) => {
  const gamma = state('gamma');
  const beta = state('beta');
  let y: tf.Tensor;
  if (training) {
    const axes = x.rank === 4 ? [0, 1, 2] : [0];
    const count = x.size / gamma.size;
    const mean = tf.mean(x, axes, true);
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.mul(xc, xc), axes, true);
    y = tf.add(tf.mul(tf.mul(xc, tf.div(1, tf.sqrt(tf.add(variance, layer.epsilon)))), gamma), beta);
    const m = layer.momentum;
    const blend = (running: tf.Tensor, batch: tf.Tensor) =>
      tf.add(tf.mul(running, 1 - m), tf.mul(tf.reshape(batch, [-1]), m));
    updateBuffer('running_mean', blend(state('running_mean'), mean));
    updateBuffer('running_var', blend(state('running_var'), tf.mul(variance, count / (count - 1))));
  } else {
    const scale = tf.div(gamma, tf.sqrt(tf.add(state('running_var'), layer.epsilon)));
    y = tf.add(tf.mul(x, scale), tf.sub(beta, tf.mul(state('running_mean'), scale)));
  }
  return TF_ACTIVATIONS[layer.activation](y);
});
