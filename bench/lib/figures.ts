import type { BrowserLatencyResult } from './browser-latency.js';
import type { IsNllResult } from './is-nll.js';

/** One headline number of a benchmark, with the baseline measured in the same run when there is one. */
export interface Figure {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly label: string; readonly value: number };
}

/** Extracts headline figures from a benchmark's JSON (throws when the shape is not the expected one). */
export type FigureExtractor = (json: unknown) => Figure[];

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);

const extractors = new Map<string, FigureExtractor>();

/** Registers (or replaces) the figure extractor of benchmark `name`. */
export function registerFigureExtractor(name: string, extract: FigureExtractor): void {
  extractors.set(name, extract);
}

/** Numeric leaves of `json` (depth ≤ 4, at most `max`), as figures without unit: the fallback. */
export function numericLeaves(json: unknown, max = 12): Figure[] {
  const out: Figure[] = [];
  const walk = (v: unknown, path: string, depth: number): void => {
    if (out.length >= max) return;
    const n = num(v);
    if (n !== undefined) {
      out.push({ metric: path, value: n, unit: '' });
      return;
    }
    if (depth >= 4 || v === null || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v as Json)) walk(child, path ? `${path}.${k}` : k, depth + 1);
  };
  walk(json, '', 0);
  return out;
}

/** Figures of `name`'s JSON through its extractor, or its numeric leaves when it has none. */
export function figuresFor(name: string, json: unknown): Figure[] {
  const extract = extractors.get(name);
  if (!extract) return numericLeaves(json);
  const figures = extract(json);
  return figures.length > 0 ? figures : numericLeaves(json);
}

registerFigureExtractor('train', (json) => {
  const rows = list(obj(json).results).filter((r) => r.available === true);
  const cpu = rows.find((r) => r.backend === 'cpu');
  const base = num(cpu?.secondsPerEpoch);
  return rows.flatMap((r) => {
    const v = num(r.secondsPerEpoch);
    if (v === undefined) return [];
    return [
      {
        metric: `tfjs ${String(r.backend)}: seconds per epoch`,
        value: v,
        unit: 's',
        ...(base !== undefined && r !== cpu ? { baseline: { label: 'tfjs cpu', value: base } } : {}),
      },
    ];
  });
});

registerFigureExtractor('train-browser', (json) => {
  const rows = list(obj(json).results);
  const node = rows.find((r) => r.runtime === 'node');
  const base = num(node?.secondsPerEpoch);
  const lastElbo = (r: Json | undefined): number | undefined =>
    num(Array.isArray(r?.valElbo) ? (r.valElbo as unknown[]).at(-1) : undefined);
  const nodeElbo = lastElbo(node);
  return rows.flatMap((r) => {
    const v = num(r.secondsPerEpoch);
    if (v === undefined) return [];
    const label = `${String(r.runtime)} ${String(r.device)}`;
    const figs: Figure[] = [
      {
        metric: `training ${label}: seconds per epoch${r.extrapolated ? ' (extrapolated)' : ''}`,
        value: v,
        unit: 's',
        ...(base !== undefined && r !== node ? { baseline: { label: 'node ort cpu', value: base } } : {}),
      },
    ];
    const elbo = lastElbo(r);
    if (elbo !== undefined)
      figs.push({
        metric: `training ${label}: final validation ELBO`,
        value: elbo,
        unit: 'nats',
        ...(nodeElbo !== undefined && r !== node ? { baseline: { label: 'node ort cpu', value: nodeElbo } } : {}),
      });
    return figs;
  });
});

registerFigureExtractor('encoder', (json) =>
  list(obj(json).results).flatMap((r) => {
    const api = obj(r.api);
    const bare = obj(r.bareOrt);
    const tag = `${String(r.device)}, ${String(r.threads)} thread(s)`;
    const figs: Figure[] = [];
    for (const batch of ['64', '256']) {
      const a = num(obj(obj(api.throughput)[batch]).imagesPerSecond);
      const b = num(obj(obj(bare.throughput)[batch]).imagesPerSecond);
      if (a !== undefined)
        figs.push({
          metric: `encoder ${tag}, batch ${batch}: VaeModel throughput`,
          value: a,
          unit: 'images/s',
          ...(b !== undefined ? { baseline: { label: 'bare onnxruntime-node', value: b } } : {}),
        });
    }
    const la = num(obj(api.latencyMs).median);
    const lb = num(obj(bare.latencyMs).median);
    if (la !== undefined)
      figs.push({
        metric: `encoder ${tag}, batch 1: median latency`,
        value: la,
        unit: 'ms',
        ...(lb !== undefined ? { baseline: { label: 'bare onnxruntime-node', value: lb } } : {}),
      });
    return figs;
  }),
);

registerFigureExtractor('embed', (json) => {
  const t = obj(obj(json).throughput);
  const s = obj(obj(json).search);
  const figs: Figure[] = [];
  const rate = num(t.embedItemsPerSecond);
  const bare = num(t.bareItemsPerSecond);
  const encoderOnly = num(t.encoderOnlyItemsPerSecond);
  if (rate !== undefined)
    figs.push({
      metric: 'embed → LanceDB, MNIST train',
      value: rate,
      unit: 'items/s',
      ...(bare !== undefined
        ? { baseline: { label: 'bare onnxruntime encoder from the same pixels', value: bare } }
        : {}),
    });
  if (rate !== undefined && encoderOnly !== undefined)
    figs.push({
      metric: 'embed → LanceDB vs the encoder alone',
      value: rate,
      unit: 'items/s',
      baseline: { label: 'onnxruntime encoder on floats converted beforehand', value: encoderOnly },
    });
  const recall = num(s.recallAt10);
  if (recall !== undefined) figs.push({ metric: `${String(s.index)} recall@10 vs exact`, value: recall, unit: '' });
  const ann = num(obj(s.annLatencyMs).median);
  const exact = num(obj(s.exactLatencyMs).median);
  if (ann !== undefined)
    figs.push({
      metric: 'search latency median (index)',
      value: ann,
      unit: 'ms',
      ...(exact !== undefined ? { baseline: { label: 'exact search', value: exact } } : {}),
    });
  return figs;
});

registerFigureExtractor('server', (json) => {
  const rows = list(obj(json).results);
  // Baseline of a batching configuration: the one-run-per-request configuration of the same device and payload.
  const key = (r: Json): string => `${String(r.device ?? '')}/${String(r.payload ?? '')}`;
  const unbatched = new Map(rows.filter((r) => obj(r.batching).enabled === false).map((r) => [key(r), r]));
  return rows.flatMap((r) => {
    const rps = num(r.requestsPerSecond);
    const p99 = num(obj(r.latencyMs).p99);
    const label = String(r.configuration);
    const base = obj(r.batching).enabled === true ? unbatched.get(key(r)) : undefined;
    const baseLabel = base ? String(base.configuration) : '';
    const baseRps = num(base?.requestsPerSecond);
    const baseP99 = num(obj(base?.latencyMs).p99);
    const figs: Figure[] = [];
    if (rps !== undefined)
      figs.push({
        metric: `server ${label}: requests/s`,
        value: rps,
        unit: 'req/s',
        ...(baseRps !== undefined ? { baseline: { label: baseLabel, value: baseRps } } : {}),
      });
    if (p99 !== undefined)
      figs.push({
        metric: `server ${label}: p99 latency`,
        value: p99,
        unit: 'ms',
        ...(baseP99 !== undefined ? { baseline: { label: baseLabel, value: baseP99 } } : {}),
      });
    return figs;
  });
});

registerFigureExtractor('is-nll', (json) => {
  const r = json as IsNllResult;
  const elbo = r.baselines.find((b) => b.samples === 1);
  const decoder = r.baselines.find((b) => b.meanNll === null);
  const wasm = r.baselines.find((b) => b.device.includes('wasm'));
  const figs: Figure[] = [
    { metric: `IS-NLL ${r.main.label}: wall time for ${r.main.images} images`, value: r.main.seconds, unit: 's' },
    {
      metric: `IS-NLL ${r.main.label}: images per second`,
      value: r.main.imagesPerSecond,
      unit: 'images/s',
      ...(elbo ? { baseline: { label: 'K=1 (ELBO cost)', value: elbo.imagesPerSecond } } : {}),
    },
    {
      metric: `IS-NLL ${r.main.label}: latent samples per second`,
      value: r.main.samplesPerSecond,
      unit: 'samples/s',
      ...(wasm ? { baseline: { label: wasm.label, value: wasm.samplesPerSecond } } : {}),
    },
  ];
  if (decoder)
    figs.push({
      metric: 'IS-NLL: decoder-only rows per second (upper bound of the above)',
      value: decoder.samplesPerSecond,
      unit: 'rows/s',
      baseline: { label: 'full IS evaluation', value: r.main.samplesPerSecond },
    });
  if (r.tuning)
    figs.push({
      metric: `IS-NLL default options on ${r.tuning.images} images, K=${r.tuning.samples}: wall time (best of 2)`,
      value: r.tuning.defaultSeconds,
      unit: 's',
      baseline: { label: `best tuned: rowsPerRun ${r.tuning.best.rowsPerRun}`, value: r.tuning.best.seconds },
    });
  if (r.main.meanNll !== null)
    figs.push({
      metric: `IS-NLL: mean −log p(x), K=${r.main.samples}`,
      value: r.main.meanNll,
      unit: 'nats',
      ...(elbo?.meanNll != null ? { baseline: { label: '−ELBO (K=1)', value: elbo.meanNll } } : {}),
    });
  return figs;
});

registerFigureExtractor('browser', (json) => {
  const r = json as BrowserLatencyResult;
  return r.results.map((row) => {
    const base = r.baseline.find((b) => b.batch === row.batch);
    return {
      metric: `${row.runtime}${row.adapter ? ` (${row.adapter})` : ''}, decode batch ${row.batch}: median latency`,
      value: row.stats.medianMs,
      unit: 'ms',
      ...(base ? { baseline: { label: base.runtime, value: base.stats.medianMs } } : {}),
    };
  });
});

registerFigureExtractor('cli-startup', (json) => {
  const rows = list(obj(json).rows);
  const node = num(rows.find((r) => r.label === 'node -e 0')?.medianSeconds);
  return rows.flatMap((r) => {
    const v = num(r.medianSeconds);
    if (v === undefined || r.label === 'node -e 0') return [];
    return [
      {
        metric: `${String(r.label)}: median wall time`,
        value: v,
        unit: 's',
        ...(node !== undefined ? { baseline: { label: 'node -e 0', value: node } } : {}),
      },
    ];
  });
});

registerFigureExtractor('vs-pytorch', (json) => {
  const o = obj(json);
  const peak = num(obj(o.roofline).peakGflops);
  const figs: Figure[] =
    peak !== undefined
      ? [{ metric: 'roofline: peak GEMM of this machine (onnxruntime-node MatMul)', value: peak, unit: 'GFLOP/s' }]
      : [];
  for (const r of list(o.rows)) {
    const v = num(r.ours);
    if (v === undefined) continue;
    const base = num(r.pytorch);
    const name = `${String(r.row)}: ${String(r.metric)}`;
    figs.push({
      metric: name,
      value: v,
      unit: String(r.unit),
      ...(base !== undefined ? { baseline: { label: 'PyTorch, same run', value: base } } : {}),
    });
    const roof = obj(r.roofline);
    const ours = num(roof.oursFraction);
    const theirs = num(roof.pytorchFraction);
    if (ours !== undefined)
      figs.push({
        metric: `${name}: fraction of the peak GEMM rate`,
        value: ours,
        unit: 'of peak',
        ...(theirs !== undefined ? { baseline: { label: 'PyTorch', value: theirs } } : {}),
      });
  }
  return figs;
});

registerFigureExtractor('verify', (json) =>
  list(obj(json).results).flatMap((r) => {
    const on = num(obj(r.withVerifyMs).median);
    const off = num(obj(r.withoutVerifyMs).median);
    if (on === undefined || off === undefined) return [];
    return [
      {
        metric: `loadModel with verify, ${String(r.runtime)} (median)`,
        value: on,
        unit: 'ms',
        baseline: { label: 'the same load without verify', value: off },
      },
    ];
  }),
);

registerFigureExtractor('embed-queue', (json) => {
  const o = obj(json);
  const local = num(obj(o.local).itemsPerSecond);
  const rows = list(o.queue);
  const one = num(rows.find((r) => r.workers === 1)?.itemsPerSecond);
  return rows.flatMap((r) => {
    const v = num(r.itemsPerSecond);
    if (v === undefined) return [];
    const baseline =
      r.workers === 1
        ? local !== undefined
          ? { label: 'local, 1 process', value: local }
          : undefined
        : one !== undefined
          ? { label: 'queue, 1 worker', value: one }
          : undefined;
    return [
      {
        metric: `embed queue, ${String(r.workers)} worker process(es): throughput`,
        value: v,
        unit: 'items/s',
        ...(baseline ? { baseline } : {}),
      },
    ];
  });
});
