import type { Tensor } from '@vae/core';
import type { SiteManifest } from './site-types.js';
import { SUPERSEDED, type WorkerClient } from './worker-client.js';
import type { Rows, WorkerModelInfo, WorkerOp, WorkerOps } from './worker-protocol.js';

/** Records one model call: what it was, its run time in the worker, its wait before, and the device. */
export type LatencySink = (label: string, runMs: number, queueMs: number, device: string) => void;

const tensor = (r: Rows): Tensor => ({ data: r.data, shape: [...r.shape] });

/**
 * The model loaded in the worker, as the panels use it. Every call may take a `channel`: then only
 * the latest pending call of that channel runs, and superseded calls resolve to null.
 */
export class RemoteModel {
  constructor(
    private readonly client: WorkerClient,
    readonly info: WorkerModelInfo,
    private readonly onLatency: LatencySink,
  ) {}

  get latentDim(): number {
    return this.info.latentDim;
  }
  get numClasses(): number {
    return this.info.numClasses;
  }
  get imageShape(): readonly [number, number, number] {
    return this.info.imageShape;
  }

  private async run<K extends WorkerOp>(
    label: string,
    op: K,
    args: WorkerOps[K]['args'],
    channel?: string,
  ): Promise<WorkerOps[K]['result'] | null> {
    const reply = await this.client.call(op, this.info.requested, args, channel);
    if (reply === SUPERSEDED) return null;
    this.onLatency(label, reply.runMs, reply.queueMs, this.info.device);
    return reply.result;
  }

  async sample(
    o: { n: number; seed: number; temperature: number; y?: Tensor | undefined },
    channel?: string,
  ): Promise<Tensor | null> {
    const { y, ...rest } = o;
    const r = await this.run(`sample ${o.n}`, 'sample', { ...rest, ...(y ? { y } : {}) }, channel);
    return r && tensor(r);
  }

  async decode(z: Tensor, y?: Tensor, channel?: string): Promise<{ logits: Tensor; mean: Tensor } | null> {
    const r = await this.run(`decode ${z.shape[0]}`, 'decode', { z, ...(y ? { y } : {}) }, channel);
    return r && { logits: tensor(r.logits), mean: tensor(r.mean) };
  }

  async embed(x: Tensor, y?: Tensor, channel?: string): Promise<Tensor | null> {
    const r = await this.run(`encode ${x.shape[0]}`, 'embed', { x, ...(y ? { y } : {}) }, channel);
    return r && tensor(r);
  }

  async reconstruct(x: Tensor, y?: Tensor, channel?: string): Promise<Tensor | null> {
    const r = await this.run(`reconstruct ${x.shape[0]}`, 'reconstruct', { x, ...(y ? { y } : {}) }, channel);
    return r && tensor(r);
  }

  async interpolate(
    a: Tensor,
    b: Tensor,
    steps: number,
    o: { spherical: boolean; y?: Tensor | undefined },
    channel?: string,
  ): Promise<Tensor | null> {
    const args = { a, b, steps, spherical: o.spherical, ...(o.y ? { y: o.y } : {}) };
    const r = await this.run(`interpolate ${steps}`, 'interpolate', args, channel);
    return r && tensor(r);
  }

  /** Codes of the site's map sample (encoded in the worker) and their digit labels. */
  async mapCodes(site: SiteManifest): Promise<{ codes: Tensor; labels: number[]; fitted: string | null } | null> {
    const r = await this.run('encode map sample', 'mapCodes', { site }, 'map');
    return r && { codes: tensor(r.codes), labels: r.labels, fitted: r.fitted };
  }

  /** Decoder latency: `reps` timed runs inside the worker. */
  async benchmark(o: { batch: number; reps: number; warmup: number; seed: number }): Promise<number[]> {
    const r = await this.run(`benchmark ${o.batch}`, 'benchmark', o);
    return r?.times ?? [];
  }
}
