import type { ModelManifest, TensorInfo } from './manifest.js';
import { sizeText } from './image-size.js';
import { modelKindInfo } from './model-kinds.js';
import type { ModelSpec } from './model-spec.js';

/** Names and shapes of one graph's inputs and outputs. */
export interface GraphSignature {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}

/** The spec fields a graph signature depends on. */
export type SignatureSpec = Pick<ModelSpec, 'kind' | 'imageShape' | 'latentDim' | 'numClasses'>;

const info = (name: string, size: number): TensorInfo => ({ name, shape: ['batch', size], dtype: 'float32' });

/**
 * The encoder's inputs and outputs: `x` [batch, D] (+ `y` [batch, K] for conditional kinds) →
 * `mu`, `logvar` [batch, L] for variational kinds, `z` [batch, L] for plain autoencoders.
 */
export function encoderSignature(spec: SignatureSpec): GraphSignature {
  const kind = modelKindInfo(spec.kind);
  const [h, w, c] = spec.imageShape;
  const inputs = [info('x', h * w * c), ...(kind.conditional ? [info('y', spec.numClasses)] : [])];
  const outputs = kind.variational
    ? [info('mu', spec.latentDim), info('logvar', spec.latentDim)]
    : [info('z', spec.latentDim)];
  return { inputs, outputs };
}

/**
 * The decoder's inputs and outputs: `z` [batch, L] (+ `y`) → `x_logits`, `x_mean`, always both and
 * in this order. `x_logits` is the raw output of the last (linear) layer, the value the likelihood
 * takes; `x_mean` is what a display shows. Bernoulli: `x_mean` = σ(`x_logits`). Gaussian: the last
 * layer outputs the mean, so `x_logits` and `x_mean` are the same values (a uniform signature keeps
 * every runtime likelihood-agnostic).
 */
export function decoderSignature(spec: SignatureSpec): GraphSignature {
  const kind = modelKindInfo(spec.kind);
  const [h, w, c] = spec.imageShape;
  const d = h * w * c;
  const inputs = [info('z', spec.latentDim), ...(kind.conditional ? [info('y', spec.numClasses)] : [])];
  const outputs = [info('x_logits', d), info('x_mean', d)];
  return { inputs, outputs };
}

/** Name of the scorer graph's output: per example, log Σ_k exp(w_k) over the fed samples. */
export const SCORER_OUTPUT = 'log_weight_sum';

/**
 * The optional scorer graph of variational models (importance-sampled log-likelihood in one run):
 * `x` [batch, D], `mu`, `logvar` [batch, L] (the encoder's outputs), `eps` [batch·C, L] (C samples per
 * example, example-major) (+ `y` [batch, K]) → `log_weight_sum` [batch], where
 * `w_k = log p(x|z_k) + log p(z_k) − log q(z_k|x)` and `z_k = μ + exp(½ log σ²)·ε_k`.
 * The `batch` of `eps` is batch·C rows.
 */
export function scorerSignature(spec: SignatureSpec): GraphSignature {
  const kind = modelKindInfo(spec.kind);
  const [h, w, c] = spec.imageShape;
  const l = spec.latentDim;
  const inputs = [
    info('x', h * w * c),
    info('mu', l),
    info('logvar', l),
    info('eps', l),
    ...(kind.conditional ? [info('y', spec.numClasses)] : []),
  ];
  return { inputs, outputs: [{ name: SCORER_OUTPUT, shape: ['batch'], dtype: 'float32' }] };
}

/**
 * One input or output of a loaded graph as its runtime reports it: element type and dimensions
 * (numbers, or strings for symbolic dimensions); `null` where the runtime cannot tell.
 */
export interface SessionValueInfo {
  readonly name: string;
  readonly type: string | null;
  readonly shape: readonly (number | string)[] | null;
}

/** A loaded graph whose real signature disagrees with `manifest.json`; `field` names the manifest field. */
export class GraphSignatureError extends Error {
  override readonly name = 'GraphSignatureError';
  constructor(
    readonly field: string,
    expected: string,
    actual: string,
  ) {
    super(
      `${field}: expected ${expected}, got ${actual}; manifest.json does not describe this graph (re-export the model)`,
    );
  }
}

/** The manifest field a graph tensor's non-batch dimension comes from, and its value there. */
function dimSource(name: string, m: ModelManifest): { field: string; value: string } {
  if (name === 'y') return { field: 'manifest.numClasses', value: String(m.numClasses) };
  if (name === 'x' || name === 'x_logits' || name === 'x_mean') {
    const [h, w, c] = m.imageShape;
    return { field: 'manifest.imageShape', value: `${sizeText(h, w, c)} = ${h * w * c} values per row` };
  }
  return { field: 'manifest.latentDim', value: String(m.latentDim) };
}

const shapeText = (s: readonly (number | string)[]): string => `[${s.join(', ')}]`;

/**
 * Checks a loaded graph against the manifest: the same input and output names, float32, the same
 * rank, a dynamic batch dimension and every other dimension equal to the manifest's (latentDim,
 * imageShape, numClasses). Throws a {@link GraphSignatureError} naming the manifest field, the
 * expected and the actual value. Dimensions or types the runtime does not report are not checked.
 */
export function checkGraphSignature(
  graph: 'encoder' | 'decoder' | 'scorer',
  m: ModelManifest,
  actual: { readonly inputs: readonly SessionValueInfo[]; readonly outputs: readonly SessionValueInfo[] },
): void {
  const g = m.graphs[graph];
  if (!g) throw new GraphSignatureError(`manifest.graphs.${graph}`, `an entry for the loaded ${graph} graph`, 'none');
  for (const kind of ['inputs', 'outputs'] as const) {
    const expected = g[kind];
    const got = actual[kind];
    const names = (l: readonly { name: string }[]) => l.map((t) => t.name).join(', ');
    if (expected.length !== got.length || expected.some((t) => !got.some((a) => a.name === t.name))) {
      throw new GraphSignatureError(
        `manifest.graphs.${graph}.${kind}`,
        `${kind} ${names(expected)}`,
        `${names(got)} in ${g.file}`,
      );
    }
    expected.forEach((t, i) => {
      const a = got.find((v) => v.name === t.name)!;
      const where = `${g.file} ${kind.slice(0, -1)} "${t.name}"`;
      if (a.type !== null && a.type !== t.dtype)
        throw new GraphSignatureError(`manifest.graphs.${graph}.${kind}[${i}].dtype`, t.dtype, `${a.type} (${where})`);
      if (a.shape === null) return;
      if (a.shape.length !== t.shape.length) {
        throw new GraphSignatureError(
          `manifest.graphs.${graph}.${kind}[${i}].shape`,
          `rank ${t.shape.length} ${shapeText(t.shape)}`,
          `rank ${a.shape.length} ${shapeText(a.shape)} (${where})`,
        );
      }
      t.shape.forEach((d, j) => {
        const ad = a.shape![j]!;
        if (d === 'batch') {
          if (typeof ad === 'number' && ad >= 0)
            throw new GraphSignatureError(
              `manifest.graphs.${graph}.${kind}[${i}].shape[${j}]`,
              'a dynamic batch dimension',
              `a fixed ${ad} (${where} has shape ${shapeText(a.shape!)})`,
            );
        } else if (typeof ad === 'number' && ad >= 0 && ad !== d) {
          const src = dimSource(t.name, m);
          throw new GraphSignatureError(
            src.field,
            `${src.value} (dimension ${j} of ${t.name} is ${d} in manifest.graphs.${graph}.${kind}[${i}])`,
            `${ad}: ${where} has shape ${shapeText(a.shape!)}`,
          );
        }
      });
    });
  }
}

/** onnxruntime's (node and web) `InferenceSession.ValueMetadata`, structurally. */
export interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/**
 * A runtime session's inputs or outputs as {@link SessionValueInfo}, from onnxruntime's
 * `inputMetadata`/`outputMetadata` (1.20+); with only the names (`metadata` absent), type and shape
 * are reported as unknown.
 */
export function sessionValueInfos(
  names: readonly string[],
  metadata: readonly OrtValueMetadata[] | undefined,
): SessionValueInfo[] {
  if (!metadata) return names.map((name) => ({ name, type: null, shape: null }));
  return metadata.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type ?? null, shape: m.shape ? [...m.shape] : null }
      : { name: m.name, type: 'non-tensor', shape: null },
  );
}
