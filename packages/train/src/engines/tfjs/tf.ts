/**
 * The one place `@vae/train` imports TensorFlow.js. Importing it through this module also silences
 * tfjs' "install the node backend" banner and its debug-mode checks (`PROD` flag), so no stray output
 * reaches stdout/stderr.
 */
import * as tf from '@tensorflow/tfjs';

tf.env().set('PROD', true);

export { tf };
