import { parentPort } from 'node:worker_threads';
import { setLogLevel } from '@vae/core';
import type { OrtTrainDevice } from './ort-devices.js';
import { openNodeRunner } from './node-platform.js';
import { keepFreedMemoryMapped } from './output-copies.js';
import { transferables, type OrtWorkerMethods, type OrtWorkerRequest, type OrtWorkerResponse } from './ort-protocol.js';
import type { OrtAdamState, OrtBatch, OrtStepResult, OrtStepRunner } from './ort-step-runner.js';

/**
 * Worker-thread entry of the ort engine: owns one {@link OrtStepRunner} so that onnxruntime's
 * synchronous `run()` never blocks the main event loop (progress bar, signals, HTTP).
 */
const port = parentPort;
if (!port) throw new Error('ort-worker: expected to run in a worker thread');
let runner: OrtStepRunner<OrtTrainDevice> | null = null;
keepFreedMemoryMapped();

function need(): OrtStepRunner<OrtTrainDevice> {
  if (!runner) throw new Error('ort engine: call init() first');
  return runner;
}

async function handle(req: OrtWorkerRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (req.method) {
    case 'init': {
      const args = req.args as OrtWorkerMethods['init']['args'];
      setLogLevel(args.logLevel);
      await runner?.release();
      const opened = await openNodeRunner(args.runner, args.binding);
      runner = opened.runner;
      return { result: opened.info, transfer: [] };
    }
    case 'step':
    case 'forward': {
      const r: OrtStepResult = await need()[req.method](req.args as OrtBatch);
      return { result: r, transfer: transferables(r) };
    }
    case 'forwardTerms': {
      const r = await need().forwardTerms(req.args as OrtBatch);
      return { result: r, transfer: [r.embedding.data.buffer as ArrayBuffer] };
    }
    case 'stepTerms':
      return { result: await need().stepTerms(req.args as OrtBatch), transfer: [] };
    case 'getParams':
      return { result: need().getParams(), transfer: [] };
    case 'getOptimizerState':
      return { result: need().getOptimizerState(), transfer: [] };
    case 'setOptimizerState':
      need().setOptimizerState(req.args as OrtAdamState);
      return { result: null, transfer: [] };
    case 'release':
      await runner?.release();
      runner = null;
      return { result: null, transfer: [] };
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (req: OrtWorkerRequest) => {
  queue = queue.then(async () => {
    let msg: OrtWorkerResponse;
    let transfer: ArrayBuffer[] = [];
    try {
      const r = await handle(req);
      msg = { id: req.id, ok: true, result: r.result };
      transfer = r.transfer;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      msg = { id: req.id, ok: false, error: { name: e.name, message: e.message } };
    }
    port.postMessage(msg, transfer);
    // A step's Adam update runs after its reply, while the main thread prepares the next batch.
    runner?.flush();
  });
});
