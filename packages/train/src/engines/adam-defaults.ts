/** Adam hyper-parameters shared by every engine (Kingma & Ba defaults). */
export const ADAM_DEFAULTS = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
