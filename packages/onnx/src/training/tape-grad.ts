import {
  TAPE_DTYPES,
  broadcastShapes,
  type Tape,
  type TapeDim,
  type TapeValue,
  type VjpContext,
  type VjpRule,
} from './tape.js';

/**
 * Sums `g` (shaped like a broadcast result) down to `target`: leading axes are summed away and
 * axes where `target` has size 1 are summed with keepdims.
 */
export function unbroadcast(tape: Tape, g: TapeValue, target: readonly TapeDim[]): TapeValue {
  const lead = g.shape.length - target.length;
  let out = g;
  if (lead > 0)
    out = tape.reduceSum(
      out,
      Array.from({ length: lead }, (_, i) => i),
      false,
    );
  const ones = target.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  if (ones.length > 0) out = tape.reduceSum(out, ones, true);
  return out;
}

function one(ctx: VjpContext): TapeValue {
  const g = ctx.dOutputs[0];
  if (!g) throw new Error(`${ctx.node.op}: expected a gradient for its output`);
  return g;
}

function gemmRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node, needs } = ctx;
  const g = one(ctx);
  const [a, b, c] = node.inputs as [TapeValue, TapeValue, TapeValue | undefined];
  const transA = node.attrs.transA === 1;
  const transB = node.attrs.transB === 1;
  let da: TapeValue | null = null;
  let db: TapeValue | null = null;
  if (needs[0])
    da = transA ? tape.gemm(b, g, null, { transA: transB, transB: true }) : tape.gemm(g, b, null, { transB: !transB });
  if (needs[1])
    db = transB ? tape.gemm(g, a, null, { transA: true, transB: transA }) : tape.gemm(a, g, null, { transA: !transA });
  const dc = needs[2] && c ? unbroadcast(tape, g, c.shape) : null;
  return [da, db, dc];
}

function addRule(ctx: VjpContext): (TapeValue | null)[] {
  const g = one(ctx);
  return ctx.node.inputs.map((x, i) => (ctx.needs[i] ? unbroadcast(ctx.tape, g, x.shape) : null));
}

function subRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node, needs } = ctx;
  const g = one(ctx);
  const [a, b] = node.inputs as [TapeValue, TapeValue];
  return [
    needs[0] ? unbroadcast(tape, g, a.shape) : null,
    needs[1] ? unbroadcast(tape, tape.unary('Neg', g), b.shape) : null,
  ];
}

function mulRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node, needs } = ctx;
  const g = one(ctx);
  const [a, b] = node.inputs as [TapeValue, TapeValue];
  return [
    needs[0] ? unbroadcast(tape, tape.mul(g, b), a.shape) : null,
    needs[1] ? unbroadcast(tape, tape.mul(g, a), b.shape) : null,
  ];
}

function divRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node, needs } = ctx;
  const g = one(ctx);
  const [a, b] = node.inputs as [TapeValue, TapeValue];
  const y = node.outputs[0]!;
  const da = needs[0] ? unbroadcast(tape, tape.div(g, b), a.shape) : null;
  const db = needs[1] ? unbroadcast(tape, tape.unary('Neg', tape.div(tape.mul(g, y), b)), b.shape) : null;
  return [da, db];
}

/**
 * dY·[Y ≠ 0] (Y = ReLU(X) ≥ 0, so the mask of X > 0): read from the ReLU output, so Gemm + Relu can
 * stay fused; the mask as Cast(Cast(Y, bool), float), the same values as Sign(Y) at a third of
 * Sign's cost on onnxruntime's CPU kernels.
 */
function reluRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  const y = node.outputs[0]!;
  const nonzero = tape.op('Cast', [y], { to: 9 }, y.shape, undefined, {}, 'bool');
  const mask = tape.op('Cast', [nonzero], { to: TAPE_DTYPES[tape.dtype].onnx }, y.shape);
  return [tape.mul(one(ctx), mask)];
}

/**
 * dY·(1 if Y > 0 else α) as dY·((1+α)/2 + (1−α)/2·Sign(Y)), read from the output like ReLU's rule
 * (at Y = 0 the mean of both slopes). α is the node's FLOAT attribute, so float32 as the forward op reads it.
 */
function leakyReluRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  const alpha = Math.fround((node.attrs.alpha as { value: number } | undefined)?.value ?? 0.01);
  const slope = tape.add(
    tape.mul(tape.unary('Sign', node.outputs[0]!), tape.scalar((1 - alpha) / 2)),
    tape.scalar((1 + alpha) / 2),
  );
  return [tape.mul(one(ctx), slope)];
}

function sigmoidRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  const y = node.outputs[0]!;
  return [tape.mul(one(ctx), tape.mul(y, tape.sub(tape.scalar(1), y)))];
}

function tanhRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  const y = node.outputs[0]!;
  return [tape.mul(one(ctx), tape.sub(tape.scalar(1), tape.mul(y, y)))];
}

function expRule(ctx: VjpContext): (TapeValue | null)[] {
  return [ctx.tape.mul(one(ctx), ctx.node.outputs[0]!)];
}

function logRule(ctx: VjpContext): (TapeValue | null)[] {
  return [ctx.tape.div(one(ctx), ctx.node.inputs[0]!)];
}

function absRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  return [tape.mul(one(ctx), tape.unary('Sign', node.inputs[0]!))];
}

function negRule(ctx: VjpContext): (TapeValue | null)[] {
  return [ctx.tape.unary('Neg', one(ctx))];
}

function sqrtRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  return [tape.div(tape.mul(one(ctx), tape.scalar(0.5)), node.outputs[0]!)];
}

function identityRule(ctx: VjpContext): (TapeValue | null)[] {
  return [one(ctx)];
}

/**
 * Passes the gradient where the input was inside the bounds (`Clip(x) == x`), else 0: `Where`
 * selects it (two nodes; a float mask and its product were three).
 */
function clipRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  const x = node.inputs[0]!;
  const inside = tape.op('Equal', [x, node.outputs[0]!], {}, x.shape, undefined, {}, 'bool');
  const g = one(ctx);
  return [
    tape.op('Where', [inside, g, tape.scalar(0)], {}, broadcastShapes(inside.shape, g.shape, 'Where')),
    null,
    null,
  ];
}

function reduceSumRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  const x = node.inputs[0]!;
  let g = one(ctx);
  if (node.attrs.keepdims === 0) {
    const axes = (node.inputs[1] ? constantValues(tape, node.inputs[1]) : []) as number[];
    const shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    g = tape.op('Unsqueeze', [g, tape.ints(axes)], {}, shape);
  }
  const xShape = tape.op('Shape', [x], {}, [x.shape.length], undefined, {}, 'int64');
  return [tape.op('Expand', [g, xShape], {}, x.shape), null];
}

/**
 * ReduceMean over explicit `axes`: the gradient divided by the number of elements averaged (the
 * product of the axes' lengths, dynamic ones read once per named dimension), expanded to the input.
 */
function reduceMeanRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  const x = node.inputs[0]!;
  const axes = node.attrs.axes as readonly number[] | undefined;
  if (!axes) throw new RangeError('ReduceMean gradient: expected explicit axes');
  let g = one(ctx);
  if (node.attrs.keepdims === 0 && g.shape.length > 0)
    g = tape.op(
      'Unsqueeze',
      [g, tape.ints(axes)],
      {},
      x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
    );
  const sizes = axes.map((a) => tape.dimSize(x, a));
  const count = sizes.slice(1).reduce((n, s) => tape.mul(n, s.float), sizes[0]!.float);
  const scaled = tape.div(g, count);
  const shape =
    x.shape.length === 1 ? sizes[0]!.int : tape.op('Shape', [x], {}, [x.shape.length], undefined, {}, 'int64');
  return [tape.op('Expand', [scaled, shape], {}, x.shape)];
}

function concatRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node, needs } = ctx;
  const g = one(ctx);
  const axis = node.attrs.axis as number;
  if (axis !== 1 || g.shape.length !== 2)
    throw new RangeError(`Concat gradient: expected axis 1 of a 2-D value, got axis ${axis} of rank ${g.shape.length}`);
  let start = 0;
  return node.inputs.map((x, i) => {
    const width = x.shape[1] as number;
    const part = needs[i] ? tape.sliceColumns(g, start, start + width) : null;
    start += width;
    return part;
  });
}

function reshapeRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node } = ctx;
  const x = node.inputs[0]!;
  const shape = tape.op('Shape', [x], {}, [x.shape.length], undefined, {}, 'int64');
  return [tape.op('Reshape', [one(ctx), shape], {}, x.shape), null];
}

function transposeRule(ctx: VjpContext): (TapeValue | null)[] {
  const perm = ctx.node.attrs.perm as readonly number[];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [ctx.tape.transpose(one(ctx), inverse)];
}

interface ConvAttrs {
  readonly kernel: [number, number];
  readonly strides: [number, number];
  readonly pads: [number, number, number, number];
  readonly outputPadding: [number, number];
}

function convAttrs(ctx: VjpContext): ConvAttrs {
  const a = ctx.node.attrs;
  const dil = (a.dilations as readonly number[] | undefined) ?? [1, 1];
  if (dil.some((d) => d !== 1))
    throw new RangeError(`${ctx.node.op} gradient: expected dilations [1, 1], got [${dil.join(', ')}]`);
  return {
    kernel: [...(a.kernel_shape as readonly number[])] as [number, number],
    strides: [...(a.strides as readonly number[])] as [number, number],
    pads: [...(a.pads as readonly number[])] as [number, number, number, number],
    outputPadding: [...((a.output_padding as readonly number[] | undefined) ?? [0, 0])] as [number, number],
  };
}

const spatial = (v: TapeValue): [number, number] => [v.shape[2] as number, v.shape[3] as number];

/**
 * Correlation of `a` with `b` over the batch: `out[ca, cb, i, j] = Σ_n Σ_pos a[n, ca, pos·s + i − p] · b[n, cb, pos]`,
 * `i, j < k`, as one Conv with the batch moved to the channel axis and the stride as dilation.
 */
function batchCorrelation(
  tape: Tape,
  a: TapeValue,
  b: TapeValue,
  k: [number, number],
  s: [number, number],
  padBegin: [number, number],
  padEnd: [number, number],
): TapeValue {
  const at = tape.transpose(a, [1, 0, 2, 3]);
  const bt = tape.transpose(b, [1, 0, 2, 3]);
  const [ah, aw] = spatial(a);
  const [bh, bw] = spatial(b);
  const outH = ah + padBegin[0] + padEnd[0] - s[0] * (bh - 1);
  const outW = aw + padBegin[1] + padEnd[1] - s[1] * (bw - 1);
  if (outH < k[0] || outW < k[1])
    throw new RangeError(`conv gradient: expected a correlation of at least ${k.join('×')}, got ${outH}×${outW}`);
  const full = tape.conv(
    at,
    bt,
    null,
    { kernel: [bh, bw], strides: [1, 1], pads: [padBegin[0], padBegin[1], padEnd[0], padEnd[1]], dilations: s },
    [at.shape[0]!, bt.shape[0]!, outH, outW],
  );
  return outH === k[0] && outW === k[1] ? full : tape.slice(full, [0, 0], [k[0], k[1]], [2, 3]);
}

/** Conv: dX by ConvTranspose with the same kernel, dW by a batch correlation, dB by a sum. */
function convRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node, needs } = ctx;
  const g = one(ctx);
  const [x, w, b] = node.inputs as [TapeValue, TapeValue, TapeValue | undefined];
  const a = convAttrs(ctx);
  const [h, wd] = spatial(x);
  const [oh, ow] = spatial(g);
  let dx: TapeValue | null = null;
  if (needs[0]) {
    const op: [number, number] = [
      h - (a.strides[0] * (oh - 1) + a.kernel[0] - a.pads[0] - a.pads[2]),
      wd - (a.strides[1] * (ow - 1) + a.kernel[1] - a.pads[1] - a.pads[3]),
    ];
    dx = tape.convTranspose(
      g,
      w,
      null,
      { kernel: a.kernel, strides: a.strides, pads: a.pads, outputPadding: op },
      x.shape,
    );
  }
  const dw = needs[1]
    ? tape.transpose(
        batchCorrelation(tape, x, g, a.kernel, a.strides, [a.pads[0], a.pads[1]], [a.pads[2], a.pads[3]]),
        [1, 0, 2, 3],
      )
    : null;
  const db = needs[2] && b ? tape.reduceSum(g, [0, 2, 3], false) : null;
  return [dx, dw, db];
}

/** ConvTranspose: dX by Conv with the same kernel and padding, dW by a batch correlation, dB by a sum. */
function convTransposeRule(ctx: VjpContext): (TapeValue | null)[] {
  const { tape, node, needs } = ctx;
  const g = one(ctx);
  const [x, w, b] = node.inputs as [TapeValue, TapeValue, TapeValue | undefined];
  const a = convAttrs(ctx);
  const dx = needs[0] ? tape.conv(g, w, null, { kernel: a.kernel, strides: a.strides, pads: a.pads }, x.shape) : null;
  const padEnd: [number, number] = [
    Math.max(0, a.pads[2] - a.outputPadding[0]),
    Math.max(0, a.pads[3] - a.outputPadding[1]),
  ];
  const dw = needs[1]
    ? tape.transpose(batchCorrelation(tape, g, x, a.kernel, a.strides, [a.pads[0], a.pads[1]], padEnd), [1, 0, 2, 3])
    : null;
  const db = needs[2] && b ? tape.reduceSum(g, [0, 2, 3], false) : null;
  return [dx, dw, db];
}

function constantValues(tape: Tape, v: TapeValue): readonly number[] {
  const c = tape.constants.find((k) => k.name === v.name);
  if (!c) throw new RangeError(`${v.name}: expected a tape constant (static axes), got a computed value`);
  return c.values;
}

/** Vector–Jacobian product rules by ONNX op type. Ops missing here are not differentiable. */
export const VJP_RULES: Readonly<Record<string, VjpRule>> = Object.freeze({
  Gemm: gemmRule,
  Add: addRule,
  Sub: subRule,
  Mul: mulRule,
  Div: divRule,
  Relu: reluRule,
  LeakyRelu: leakyReluRule,
  Sigmoid: sigmoidRule,
  Tanh: tanhRule,
  Exp: expRule,
  Log: logRule,
  Abs: absRule,
  Neg: negRule,
  Sqrt: sqrtRule,
  Identity: identityRule,
  Clip: clipRule,
  ReduceSum: reduceSumRule,
  ReduceMean: reduceMeanRule,
  Concat: concatRule,
  Reshape: reshapeRule,
  Transpose: transposeRule,
  Conv: convRule,
  ConvTranspose: convTransposeRule,
});

/**
 * Reverse-mode gradients of the scalar `loss` with respect to each of `wrt`, emitted as new nodes
 * on `tape`. Only nodes on a path from some `wrt` to `loss` are differentiated. A parameter that
 * does not influence the loss gets a gradient of zeros.
 */
export function gradients(tape: Tape, loss: TapeValue, wrt: readonly TapeValue[]): TapeValue[] {
  if (loss.shape.length !== 0) throw new RangeError(`loss: expected a scalar, got shape [${loss.shape.join(', ')}]`);
  const nodes = [...tape.nodes];
  const depends = new Set(wrt.map((v) => v.name));
  for (const n of nodes) {
    if ((n.gradInputs ?? n.inputs).some((x) => depends.has(x.name))) for (const o of n.outputs) depends.add(o.name);
  }
  const reaches = new Set([loss.name]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (n.outputs.some((o) => reaches.has(o.name))) for (const x of n.gradInputs ?? n.inputs) reaches.add(x.name);
  }
  const grads = new Map<string, TapeValue>([[loss.name, tape.scalar(1)]]);
  const accumulate = (x: TapeValue, g: TapeValue): void => {
    const prev = grads.get(x.name);
    grads.set(x.name, prev ? tape.add(prev, g) : g);
  };
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const dOutputs = node.outputs.map((o) => grads.get(o.name) ?? null);
    if (dOutputs.every((g) => g === null)) continue;
    const targets = node.gradInputs ?? node.inputs;
    const needs = targets.map((x) => depends.has(x.name) && reaches.has(x.name));
    if (!needs.some(Boolean)) continue;
    const rule = node.vjp ?? VJP_RULES[node.op];
    if (!rule)
      throw new RangeError(`gradients: no derivative rule for op ${node.op} (output ${node.outputs[0]?.name})`);
    const dInputs = rule({ tape, node, dOutputs, needs });
    targets.forEach((x, j) => {
      const g = dInputs[j];
      if (needs[j] && g) accumulate(x, g);
    });
  }
  return wrt.map((v) => {
    const g = grads.get(v.name);
    if (g) return g;
    const shape = tape.op('Shape', [v], {}, [v.shape.length], undefined, {}, 'int64');
    return tape.op('Expand', [tape.scalar(0), shape], {}, v.shape);
  });
}
