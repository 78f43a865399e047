import { VaeModel, type Backend, type ExecutionDevice } from '@vae/core';
import { nodeFileSource } from '@vae/runtime-node';
import type { OpenedRuntime, ParityRuntimeContext } from './parity-runtime.js';

/** An {@link OpenedRuntime} over a loaded `VaeModel` (the product's runtime API, unchanged). */
export function vaeModelRuntime(model: VaeModel, detail: string): OpenedRuntime {
  return {
    detail,
    weights: model.manifest.precision,
    encode: (x, y) => model.encode(x, y),
    decode: (z, y) => model.decode(z, y),
    elbo: (x, o) => model.elbo(x, o),
    logLikelihood: (x, o) => model.logLikelihood(x, o),
    release: () => model.release(),
  };
}

/**
 * Loads the context's model directory with `VaeModel.load` on exactly `device` of `backend` (no
 * fallback to another device) and wraps it.
 */
export async function openVaeModel(
  ctx: ParityRuntimeContext,
  backend: Backend,
  device: ExecutionDevice,
): Promise<OpenedRuntime> {
  const model = await VaeModel.load(nodeFileSource(ctx.modelDir), {
    device,
    backends: [backend],
    ...(ctx.threads === undefined ? {} : { threads: ctx.threads }),
  });
  if (model.device !== device) {
    await model.release();
    throw new Error(`${backend.name}: expected a ${device} session, got ${model.device}`);
  }
  return vaeModelRuntime(model, `${model.backend} ${model.device}`);
}
