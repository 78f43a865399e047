import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { VaeModel } from '@vae/core';

/** Prometheus metrics of one server instance (its own registry, so servers do not share counters). */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly latency: Histogram<'route'>;
  readonly batchRows: Histogram<'model'>;
  readonly batchRequests: Histogram<'model'>;
  readonly queueDepth: Gauge<'model'>;
  /** Requests refused on arrival (503 before the body was read), by reason. */
  readonly shed: Counter<'reason'>;
  /** 1 for the loaded model, labelled with its device, backend and golden check status. */
  readonly modelInfo: Gauge<'model' | 'device' | 'backend' | 'verification'>;
  /** Largest |Δ| of each golden output on the serving device. */
  readonly goldenError: Gauge<'model' | 'graph' | 'output'>;
}

const POWERS_OF_TWO = Object.freeze([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);

/** Creates the server's metrics: request counts, latency histogram, batch sizes, queue depth. */
export function createServerMetrics(o: { readonly defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (o.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'vae_' });
  return {
    registry,
    requests: new Counter({
      name: 'vae_http_requests_total',
      help: 'HTTP requests by method, route template and status code',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'vae_http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      labelNames: ['route'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    batchRows: new Histogram({
      name: 'vae_batch_size_rows',
      help: 'Rows per model run (dynamic batching merges concurrent requests)',
      labelNames: ['model'] as const,
      buckets: [...POWERS_OF_TWO],
      registers: [registry],
    }),
    batchRequests: new Histogram({
      name: 'vae_batch_size_requests',
      help: 'Requests merged into one model run',
      labelNames: ['model'] as const,
      buckets: [...POWERS_OF_TWO],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'vae_queue_depth',
      help: 'Requests waiting or running per model (model="evaluations": the /api/elbo and /api/log-likelihood queue)',
      labelNames: ['model'] as const,
      registers: [registry],
    }),
    shed: new Counter({
      name: 'vae_http_shed_total',
      help: 'POST requests answered 503 on arrival, before their body was read (busy, bytes, heavy, closing)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    modelInfo: new Gauge({
      name: 'vae_model_info',
      help: 'The loaded model (value 1): execution device, backend and golden check status (passed|failed|skipped)',
      labelNames: ['model', 'device', 'backend', 'verification'] as const,
      registers: [registry],
    }),
    goldenError: new Gauge({
      name: 'vae_model_golden_max_abs_error',
      help: 'Largest |actual − golden| of each golden output, run once at load on the serving device',
      labelNames: ['model', 'graph', 'output'] as const,
      registers: [registry],
    }),
  };
}

/** Sets the model gauges of `metrics` for `model` served as `name`. */
export function recordModelMetrics(metrics: ServerMetrics, model: VaeModel, name: string): void {
  const v = model.verification;
  metrics.modelInfo.set({ model: name, device: model.device, backend: model.backend, verification: v.status }, 1);
  for (const o of v.outputs) metrics.goldenError.set({ model: name, graph: o.graph, output: o.output }, o.maxAbs);
}
