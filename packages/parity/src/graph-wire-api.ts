/**
 * The raw-graph calls of the browser parity page (`--bisect`, `--onnx`): load ONNX bytes on a
 * device with the page's backend, run them on float32 feeds. Tensors and graph bytes cross the
 * page boundary as base64 ({@link EncodedTensor}). Browser-safe.
 */
import type { Backend, BackendSession } from '@vae/core';
import type { PageInfo } from './chromium-wire.js';
import { decodeTensors, encodeTensors, fromBase64, type EncodedTensor } from './tensor-codec.js';

/** `window.__vaeParity`'s raw-graph calls. */
export interface GraphPageApi {
  /** What would run graphs on `device` here (browser, backend, adapter). */
  graphHostInfo(device: string): Promise<PageInfo>;
  /** Loads base64 ONNX `graph` on `device` under `id`. */
  loadGraph(id: string, graph: string, device: string): Promise<void>;
  /** Runs graph `id` on `feeds`; every output, encoded. */
  runGraph(id: string, feeds: Record<string, EncodedTensor>): Promise<Record<string, EncodedTensor>>;
  releaseGraph(id: string): Promise<void>;
}

/** A {@link GraphPageApi} over `backend`; `info` describes the host for a device. */
export function createGraphWireApi(backend: Backend, info: (device: string) => Promise<PageInfo>): GraphPageApi {
  const sessions = new Map<string, BackendSession>();
  const loaded = (id: string): BackendSession => {
    const s = sessions.get(id);
    if (!s) throw new Error(`id: expected a loaded graph (${[...sessions.keys()].join(', ') || 'none'}), got ${id}`);
    return s;
  };
  return {
    graphHostInfo: info,
    async loadGraph(id, graph, device) {
      sessions.set(id, await backend.createSession(fromBase64(graph, 'graph'), { device }));
    },
    runGraph: async (id, feeds) => encodeTensors(await loaded(id).run(decodeTensors(feeds, 'feeds'))),
    async releaseGraph(id) {
      await sessions.get(id)?.release();
      sessions.delete(id);
    },
  };
}
