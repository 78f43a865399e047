/**
 * Worker entry of the `workerd` parity host (bundled with esbuild by `workerd-host.ts`): loads the
 * model from its data bindings with `@vae/runtime-web/workers` on the precompiled onnxruntime-web
 * module and answers each POSTed {@link ChildRequest} with a {@link ChildReply} (the wire API).
 */
import { loadWorkersModel } from '@vae/runtime-web/workers';
import ortWasm from './ort.wasm';
import type { PageApi } from './chromium-wire.js';
import type { ChildReply, ChildRequest } from './child-protocol.js';
import { createWireApi } from './wire-api.js';

/** The Worker's bindings: the model's file names, each file as `file<i>`, and the workerd version. */
interface Env {
  readonly FILES: readonly string[];
  readonly HOST: string;
  readonly [binding: string]: unknown;
}

let api: PageApi | undefined;

function wireApi(env: Env): PageApi {
  api ??= createWireApi(async (device) => {
    if (device !== 'wasm') throw new Error(`workerd runs onnxruntime-web on wasm only, got ${device}`);
    const files = Object.fromEntries(env.FILES.map((name, i) => [name, env[`file${i}`] as ArrayBuffer]));
    const model = await loadWorkersModel(files, ortWasm);
    return { model, info: { device: model.device, backend: model.backend, browser: env.HOST, adapter: '' } };
  });
  return api;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const req = (await request.json()) as ChildRequest;
    let reply: ChildReply;
    try {
      const fn = wireApi(env)[req.method] as (...a: unknown[]) => Promise<unknown>;
      reply = { id: req.id, result: (await fn(...req.args)) ?? null };
    } catch (err) {
      reply = { id: req.id, error: err instanceof Error ? err.message : String(err) };
    }
    return Response.json(reply);
  },
};
