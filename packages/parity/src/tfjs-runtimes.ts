import {
  clampLogvar,
  concatRows,
  sigmoidTensor,
  sliceRows,
  type DecodeResult,
  type EncodeResult,
  type Tensor,
} from '@vae/core';
import { faultPoint } from '@vae/data/node';
import { assertCheckpointBelongs } from './checkpoint-provenance.js';
import type { OpenedRuntime, ParityRuntimeContext } from './parity-runtime.js';
import { registerParityRuntime } from './runtime-registry.js';
import { elboVia, getLogger, logLikelihoodVia, type EncoderDecoder } from '@vae/core';

function clamped(logvar: Tensor): Tensor {
  const out = new Float32Array(logvar.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clampLogvar(logvar.data[i]!);
  return { data: out, shape: [...logvar.shape] };
}

/**
 * Rows decoded per TensorFlow.js call. Its cpu and wasm kernels run synchronously: the one 4,096-row
 * decode of the IS check (64 images × K=64, 784-400-20) held the event loop, and with it a SIGTERM's
 * handler, for ~3 s; in slices of this many rows (~0.1 s each on tfjs-cpu here) the loop turns
 * between them. A row's outputs do not depend on the rows decoded with it.
 */
const DECODE_ROWS_PER_CALL = 128;

/**
 * `decode` of `z` (and labels `y`) in slices of {@link DECODE_ROWS_PER_CALL} rows, letting the event
 * loop turn between them. Fault point `parity:tfjs-decode-slices`: a decode of more rows begins.
 */
async function decodeInSlices(
  decode: (z: Tensor, y?: Tensor) => Promise<Tensor>,
  z: Tensor,
  y?: Tensor,
): Promise<Tensor> {
  const rows = z.shape[0]!;
  if (rows <= DECODE_ROWS_PER_CALL) return decode(z, y);
  faultPoint('parity:tfjs-decode-slices');
  const parts: Tensor[] = [];
  for (let start = 0; start < rows; start += DECODE_ROWS_PER_CALL) {
    if (start > 0) await new Promise((turned) => setImmediate(turned));
    const end = Math.min(rows, start + DECODE_ROWS_PER_CALL);
    parts.push(await decode(sliceRows(z, start, end), y && sliceRows(y, start, end)));
  }
  return concatRows(parts);
}

/**
 * Opens TensorFlow.js on `backend` with the weights of the training checkpoint in `ctx.runDir`.
 * The encoder's log σ² is clamped to `LOGVAR_CLAMP` as the exported graphs do; `x_mean` is core's
 * sigmoid of the logits (Bernoulli) or the decoder output itself (Gaussian), as the decoder graph
 * defines it. Decodes run in slices of rows (`DECODE_ROWS_PER_CALL`), so a signal is handled between them.
 */
async function openTfjs(ctx: ParityRuntimeContext, backend: 'cpu' | 'wasm'): Promise<OpenedRuntime> {
  if (!ctx.runDir) {
    throw new Error(
      'no training checkpoint: pass --run DIR (the run folder the model was exported from), or keep the model at <run>/model',
    );
  }
  const train = await import('@vae/train');
  const tfjs = await train.loadTfjs(`the parity runtime tfjs-${backend} (--runtimes or --reference tfjs-${backend})`);
  const checkpoint = await train.loadCheckpoint(ctx.runDir);
  await assertCheckpointBelongs(ctx.manifest, ctx.modelDir, checkpoint, ctx.runDir);
  const selection = await tfjs.selectBackend(backend);
  if (selection.backend !== backend) throw new Error(`tfjs: expected backend ${backend}, got ${selection.backend}`);
  const model = tfjs.createTfjsModel(checkpoint.spec, checkpoint.params);
  const ensureBackend = async (): Promise<void> => {
    if (tfjs.activeBackend() !== backend) await tfjs.selectBackend(backend);
  };
  const bernoulli = ctx.manifest.likelihood === 'bernoulli';
  const f: EncoderDecoder = {
    async encode(x, y): Promise<EncodeResult> {
      await ensureBackend();
      const e = await model.encodeAsync(x, y);
      return 'mu' in e ? { mu: e.mu, logvar: clamped(e.logvar) } : { z: e.z };
    },
    async decode(z, y): Promise<DecodeResult> {
      await ensureBackend();
      const out = await decodeInSlices((zs, ys) => model.decodeAsync(zs, ys), z, y);
      return { logits: out, mean: bernoulli ? sigmoidTensor(out) : out };
    },
  };
  const info = { likelihood: ctx.manifest.likelihood, gaussianSigma: ctx.manifest.gaussianSigma };
  return {
    detail: `tfjs ${tfjs.version} ${backend}, checkpoint epoch ${checkpoint.epoch} step ${checkpoint.step}`,
    weights: 'fp32',
    encode: f.encode,
    decode: f.decode,
    elbo: (x, o) => elboVia(f, info, x, o),
    logLikelihood: (x, o) => logLikelihoodVia(f, info, x, o),
    release: async () => model.dispose(),
  };
}

/**
 * The default reference of a parity run given `--run`: `tfjs-cpu` (the training engine's arithmetic)
 * when TensorFlow.js is installed, else `fallback`, with a warning that names both.
 */
export async function tfjsReferenceOr(fallback: string): Promise<string> {
  const train = await import('@vae/train');
  try {
    await train.loadTfjs('the default parity reference tfjs-cpu (with --run)');
    return 'tfjs-cpu';
  } catch (err) {
    if ((err as Error | null)?.name !== 'TfjsMissingError') throw err;
    getLogger('parity').warn(`reference ${fallback}, not tfjs-cpu: ${(err as Error).message}`);
    return fallback;
  }
}

for (const backend of ['cpu', 'wasm'] as const) {
  registerParityRuntime({
    name: `tfjs-${backend}`,
    description: `TensorFlow.js ${backend} backend, weights from the training checkpoint`,
    device: backend,
    arithmetic: 'exact',
    open: (ctx) => openTfjs(ctx, backend),
  });
}
