import { LEAKY_RELU_SLOPE, type Activation } from '@vae/core';
import { tf } from './tf.js';

/** TensorFlow.js implementations of the spec's activations, keyed by name. */
export const TF_ACTIVATIONS: Readonly<Record<Activation, (x: tf.Tensor) => tf.Tensor>> = Object.freeze({
  linear: (x: tf.Tensor) => x,
  relu: (x: tf.Tensor) => tf.relu(x),
  'leaky-relu': (x: tf.Tensor) => tf.leakyRelu(x, LEAKY_RELU_SLOPE),
  tanh: (x: tf.Tensor) => tf.tanh(x),
  sigmoid: (x: tf.Tensor) => tf.sigmoid(x),
});
