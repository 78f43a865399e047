import type * as OrtWeb from 'onnxruntime-web';

/**
 * The parts of an onnxruntime-web module namespace this package uses. The browser entry passes the
 * WebGPU-capable ESM build, the Node entry the CommonJS build loaded with `require`; only types are
 * imported here, so this file adds nothing to a bundle.
 */
export interface OrtWebModule {
  readonly InferenceSession: typeof OrtWeb.InferenceSession;
  readonly Tensor: typeof OrtWeb.Tensor;
  readonly env: typeof OrtWeb.env;
}

/** An onnxruntime-web inference session. */
export type OrtInferenceSession = OrtWeb.InferenceSession;
/** onnxruntime-web session options. */
export type OrtSessionOptions = OrtWeb.InferenceSession.SessionOptions;
/** An onnxruntime-web tensor. */
export type OrtTensor = OrtWeb.Tensor;
