import type { Activation } from '../model-spec.js';
import { registerLayer, type LayerDefinition } from './layer-registry.js';
import { emitActivation, toFlat, toNchw, type EmitTensor, type LayerEmitter } from './op-emitter.js';
import { checkActivation, specFail } from './spec-checks.js';

/**
 * Batch normalisation over the channel axis (the last HWC axis of spatial inputs, the features of
 * flat ones), then an activation; PyTorch's `BatchNorm1d/2d` semantics. Training normalises with
 * the batch statistics (biased variance) and updates the buffers
 * `running ← (1 − momentum)·running + momentum·batch` (unbiased variance for `running_var`);
 * evaluation and the exported graphs use the running statistics.
 */
export interface BatchNormLayer {
  readonly type: 'batch-norm';
  /** Activation applied after the normalisation. */
  readonly activation: Activation;
  /** Weight of the batch statistics in the running averages (PyTorch's default 0.1). */
  readonly momentum: number;
  /** Added to the variance (PyTorch's default 1e-5). */
  readonly epsilon: number;
}

declare module '../model-spec.js' {
  interface LayerSpecMap {
    'batch-norm': BatchNormLayer;
  }
}

/** PyTorch's defaults. */
export const BATCH_NORM_DEFAULTS = Object.freeze({ momentum: 0.1, epsilon: 1e-5 });

function normalize(
  e: LayerEmitter,
  layer: BatchNormLayer,
  x: EmitTensor,
  spatial: boolean,
  c: number,
  pixels: number,
): EmitTensor {
  const full = x.shape;
  const stat = spatial ? [1, c, 1, 1] : [1, c];
  const perChannel = (t: EmitTensor): EmitTensor => (spatial ? e.op('Reshape', [t, e.ints(stat)], {}, stat) : t);
  const gamma = e.state('gamma');
  const beta = e.state('beta');
  const eps = e.scalar(layer.epsilon);
  if (!e.training) {
    const scale = e.op(
      'Div',
      [gamma, e.op('Sqrt', [e.op('Add', [e.state('running_var'), eps], {}, [c])], {}, [c])],
      {},
      [c],
    );
    const shift = e.op('Sub', [beta, e.op('Mul', [e.state('running_mean'), scale], {}, [c])], {}, [c]);
    return e.op('Add', [e.op('Mul', [x, perChannel(scale)], {}, full), perChannel(shift)], {}, full);
  }
  const axes = e.ints(spatial ? [0, 2, 3] : [0]);
  const count = pixels === 1 ? e.batchSize(x) : e.op('Mul', [e.batchSize(x), e.scalar(pixels)], {}, []);
  const inv = e.op('Div', [e.scalar(1), count], {}, []);
  const mean = e.op('Mul', [e.op('ReduceSum', [x, axes], { keepdims: 1 }, stat), inv], {}, stat);
  const xc = e.op('Sub', [x, mean], {}, full);
  const variance = e.op(
    'Mul',
    [e.op('ReduceSum', [e.op('Mul', [xc, xc], {}, full), axes], { keepdims: 1 }, stat), inv],
    {},
    stat,
  );
  const invStd = e.op('Div', [e.scalar(1), e.op('Sqrt', [e.op('Add', [variance, eps], {}, stat)], {}, stat)], {}, stat);
  const y = e.op(
    'Add',
    [e.op('Mul', [e.op('Mul', [xc, invStd], {}, full), perChannel(gamma)], {}, full), perChannel(beta)],
    {},
    full,
  );
  const vec = (t: EmitTensor) => e.op('Reshape', [t, e.ints([c])], {}, [c]);
  const unbiased = e.op(
    'Mul',
    [vec(variance), e.op('Div', [count, e.op('Sub', [count, e.scalar(1)], {}, [])], {}, [])],
    {},
    [c],
  );
  const m = layer.momentum;
  const blend = (running: EmitTensor, batch: EmitTensor) =>
    e.op('Add', [e.op('Mul', [running, e.scalar(1 - m)], {}, [c]), e.op('Mul', [batch, e.scalar(m)], {}, [c])], {}, [
      c,
    ]);
  e.updateBuffer('running_mean', blend(e.state('running_mean'), vec(mean)));
  e.updateBuffer('running_var', blend(e.state('running_var'), unbiased));
  return y;
}

/** `batch-norm`: one definition for validation, state (γ, β; running mean/variance buffers) and emission. */
export const batchNormLayer: LayerDefinition<BatchNormLayer> = {
  type: 'batch-norm',
  description:
    'batch normalisation over channels (batch statistics in training, running statistics in evaluation), then an activation',
  outputShape(layer, input, path) {
    checkActivation(layer.activation, `${path}.activation`);
    if (!(typeof layer.momentum === 'number' && layer.momentum > 0 && layer.momentum <= 1))
      specFail(`${path}.momentum`, 'a number in (0, 1]', layer.momentum);
    if (!(typeof layer.epsilon === 'number' && layer.epsilon > 0))
      specFail(`${path}.epsilon`, 'a positive number', layer.epsilon);
    if (input.length !== 1 && input.length !== 3) specFail(path, 'a flat or an HWC input', input);
    return [...input];
  },
  state(_layer, { inputShape }) {
    const c = inputShape[inputShape.length - 1]!;
    const common = { shape: [c], fanIn: c, fanOut: c };
    return [
      { suffix: 'gamma', init: 'ones', trainable: true, ...common },
      { suffix: 'beta', init: 'zeros', trainable: true, ...common },
      { suffix: 'running_mean', init: 'zeros', trainable: false, ...common },
      { suffix: 'running_var', init: 'ones', trainable: false, ...common },
    ];
  },
  activation: (layer) => layer.activation,
  emit(e, layer, { prefix }, input) {
    const spatial = input.shape.length === 3;
    const x = spatial ? toNchw(e, input, prefix) : toFlat(e, input);
    const [h, w, c] = spatial ? (input.shape as [number, number, number]) : [1, 1, input.shape[0]!];
    const y = normalize(e, layer, x.t, spatial, c, h * w);
    return { t: emitActivation(e, layer.activation, y), shape: input.shape, layout: x.layout };
  },
};

registerLayer(batchNormLayer);
