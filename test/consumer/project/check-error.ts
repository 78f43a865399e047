// Must NOT compile: the shipped declarations type loadModel's options (a typo in the device name).
import { loadModel } from '@vae/runtime-node';

export const model = loadModel('models/mnist-vae', { device: 'gpu' });
