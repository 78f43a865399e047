// Must NOT compile: the shipped declarations type loadModel's options (threads is a number; device
// names are open, a registered runtime's device, and checked when the model loads).
import { loadModel } from '@vae/runtime-node';

export const model = loadModel('models/mnist-vae', { device: 'cpu', threads: 'two' });
