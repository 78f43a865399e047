import {
  LEAKY_RELU_SLOPE,
  LOGVAR_CLAMP,
  modelKindInfo,
  validateModelSpec,
  type LayerShape,
  type ModelSpec,
  type ParameterSet,
} from '@vae/core';

/** LeakyRelu's `alpha` is a FLOAT attribute: the graphs compute with float32(0.01). */
const LEAKY_SLOPE = Math.fround(LEAKY_RELU_SLOPE);

/**
 * An independent float64 forward pass written straight from TensorFlow's definitions (HWC, 'same'
 * padding as TF computes it, Conv2DTranspose as the gradient of Conv2D), for testing the graphs.
 * Rows are per-example Float64Arrays in HWC order, so reshape/flatten are no-ops on the data.
 */
type Row = Float64Array;

function act(v: number, a: string): number {
  if (a === 'relu') return Math.max(0, v);
  if (a === 'leaky-relu') return v > 0 ? v : LEAKY_SLOPE * v;
  if (a === 'tanh') return Math.tanh(v);
  if (a === 'sigmoid') return 1 / (1 + Math.exp(-v));
  if (a === 'linear') return v;
  throw new Error(`activation ${a}`);
}

function dense(x: Row, p: ParameterSet, prefix: string, a: string): Row {
  const k = p[`${prefix}.kernel`]!;
  const b = p[`${prefix}.bias`] ?? { data: new Float32Array(k.shape[1]!) };
  const [nIn, nOut] = k.shape as [number, number];
  if (x.length !== nIn) throw new Error(`${prefix}: input ${x.length} != ${nIn}`);
  const y = new Float64Array(nOut);
  for (let o = 0; o < nOut; o++) {
    let s = b.data[o]!;
    for (let i = 0; i < nIn; i++) s += x[i]! * k.data[i * nOut + o]!;
    y[o] = act(s, a);
  }
  return y;
}

/** TF Conv2D over HWC with kernel [k, k, inC, outC]. */
function conv(x: Row, shape: readonly number[], l: LayerShape, p: ParameterSet): Row {
  const layer = l.layer as {
    kernelSize: number;
    strides: number;
    padding: string;
    activation: string;
    filters: number;
  };
  const [h, w, c] = shape as [number, number, number];
  const [oh, ow, oc] = l.outputShape as [number, number, number];
  const k = layer.kernelSize;
  const s = layer.strides;
  const padH = layer.padding === 'same' ? Math.floor(Math.max((oh - 1) * s + k - h, 0) / 2) : 0;
  const padW = layer.padding === 'same' ? Math.floor(Math.max((ow - 1) * s + k - w, 0) / 2) : 0;
  const K = p[`${l.prefix}.kernel`]!.data;
  const B = p[`${l.prefix}.bias`]?.data ?? new Float32Array(l.outputShape[2]!);
  const y = new Float64Array(oh * ow * oc);
  for (let i = 0; i < oh; i++)
    for (let j = 0; j < ow; j++)
      for (let o = 0; o < oc; o++) {
        let sum = B[o]!;
        for (let di = 0; di < k; di++)
          for (let dj = 0; dj < k; dj++) {
            const yi = i * s + di - padH;
            const xj = j * s + dj - padW;
            if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
            for (let ci = 0; ci < c; ci++) sum += x[(yi * w + xj) * c + ci]! * K[((di * k + dj) * c + ci) * oc + o]!;
          }
        y[(i * ow + j) * oc + o] = act(sum, layer.activation);
      }
  return y;
}

/** TF Conv2DTranspose (gradient of Conv2D from the output size back to the input) with kernel [k, k, outC, inC]. */
function convTranspose(x: Row, shape: readonly number[], l: LayerShape, p: ParameterSet): Row {
  const layer = l.layer as { kernelSize: number; strides: number; padding: string; activation: string };
  const [h, w, c] = shape as [number, number, number];
  const [oh, ow, oc] = l.outputShape as [number, number, number];
  const k = layer.kernelSize;
  const s = layer.strides;
  // The forward conv maps [oh, ow] → [h, w]; its TF 'same' padding before is ⌊total/2⌋.
  const padH = layer.padding === 'same' ? Math.floor(Math.max((h - 1) * s + k - oh, 0) / 2) : 0;
  const padW = layer.padding === 'same' ? Math.floor(Math.max((w - 1) * s + k - ow, 0) / 2) : 0;
  const K = p[`${l.prefix}.kernel`]!.data;
  const B = p[`${l.prefix}.bias`]?.data ?? new Float32Array(l.outputShape[2]!);
  const y = new Float64Array(oh * ow * oc);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++)
      for (let di = 0; di < k; di++)
        for (let dj = 0; dj < k; dj++) {
          const yi = i * s + di - padH;
          const xj = j * s + dj - padW;
          if (yi < 0 || yi >= oh || xj < 0 || xj >= ow) continue;
          for (let o = 0; o < oc; o++) {
            let sum = 0;
            for (let ci = 0; ci < c; ci++) sum += x[(i * w + j) * c + ci]! * K[((di * k + dj) * oc + o) * c + ci]!;
            y[(yi * ow + xj) * oc + o]! += sum;
          }
        }
  for (let q = 0; q < y.length; q++) y[q] = act(y[q]! + B[q % oc]!, layer.activation);
  return y;
}

/** Batch norm in evaluation: per channel (the last HWC axis), running statistics, then the activation. */
function batchNorm(x: Row, l: LayerShape, p: ParameterSet): Row {
  const layer = l.layer as { activation: string; epsilon: number };
  const get = (s: string) => p[`${l.prefix}.${s}`]!.data;
  const [g, b, m, v] = [get('gamma'), get('beta'), get('running_mean'), get('running_var')];
  const c = g.length;
  return x.map((u, i) =>
    act(((u - m[i % c]!) / Math.sqrt(v[i % c]! + layer.epsilon)) * g[i % c]! + b[i % c]!, layer.activation),
  );
}

function run(
  layers: readonly LayerShape[],
  input: Row,
  p: ParameterSet,
  label: Row | null,
): { out: Row; labelUsed: boolean } {
  let x = input;
  let shape: readonly number[] = [input.length];
  let labelUsed = label === null;
  for (const l of layers) {
    const t = l.layer.type;
    if (t === 'dense') {
      if (!labelUsed) {
        x = Float64Array.from([...x, ...label!]);
        labelUsed = true;
      }
      x = dense(x, p, l.prefix, l.layer.activation);
    } else if (t === 'conv2d') x = conv(x, shape, l, p);
    else if (t === 'conv2d-transpose') x = convTranspose(x, shape, l, p);
    else if (t === 'batch-norm') x = batchNorm(x, l, p);
    shape = l.outputShape;
  }
  return { out: x, labelUsed };
}

/** Reference encoder for one example: `{ mu, logvar }` (logvar clamped) or `{ z }`. */
export function referenceEncode(spec: ModelSpec, p: ParameterSet, x: Row, y: Row | null): Record<string, Row> {
  const layout = validateModelSpec(spec);
  const { out, labelUsed } = run(layout.encoder, x, p, y);
  const f = labelUsed ? out : Float64Array.from([...out, ...y!]);
  if (modelKindInfo(spec.kind).variational) {
    const logvar = dense(f, p, 'encoder.logvar', 'linear').map((v) =>
      Math.min(LOGVAR_CLAMP[1], Math.max(LOGVAR_CLAMP[0], v)),
    );
    return { mu: dense(f, p, 'encoder.mu', 'linear'), logvar };
  }
  return { z: dense(f, p, 'encoder.code', spec.codeActivation) };
}

/** Reference decoder for one example: `{ x_logits, x_mean }`. */
export function referenceDecode(spec: ModelSpec, p: ParameterSet, z: Row, y: Row | null): Record<string, Row> {
  const layout = validateModelSpec(spec);
  const input = y ? Float64Array.from([...z, ...y]) : z;
  const { out } = run(layout.decoder, input, p, null);
  return { x_logits: out, x_mean: spec.likelihood === 'bernoulli' ? out.map((v) => 1 / (1 + Math.exp(-v))) : out };
}
