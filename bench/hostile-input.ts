/**
 * Decode bombs and oversized queue payloads against the real `vae` CLI (issue 28): wall time and
 * peak RSS of the process that meets them, and what it answered.
 *
 *   tsx bench/hostile-input.ts [--cli packages/cli/bin/vae.js] [--cases png,idx,idx-lying,payload] [--json file]
 *
 * - `png`: `vae embed --dataset images` on a folder of five 20000×20000 grey PNGs (~0.4 MB each).
 * - `idx`: `vae embed --dataset idx` on a 2.3 MB gzip IDX whose header claims 3,000,000 28×28 images
 *   (2.35 GB, which the file does inflate to).
 * - `idx-lying`: the same zeros behind a header that claims 10,000 images.
 * - `payload`: a `vae worker` given a job of 200 items whose payload is 400 MB.
 * - `startup`: `vae embed --dataset images` on an empty folder: what the CLI costs before it reads any
 *   input (start-up, model load), to tell it from the refusal itself.
 * `--cli` runs another checkout's CLI (the code before the change) on the same inputs. Peak RSS is
 * the process's own `maxRSS` (a preloaded module writes it at exit). Inputs are generated once into
 * the temp folder (streamed: a few MB of memory). Writes bench/hostile-input-results.json.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createDeflate, createGzip, crc32 } from 'node:zlib';
import { idxHeaderBytes } from '@vae/data';
import { startRedis } from './lib/redis-server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
};
const cli = resolve(ROOT, arg('cli', 'packages/cli/bin/vae.js'));
const cliRoot = resolve(dirname(cli), '../../..');
const cases = arg('cases', 'startup,png,idx,idx-lying,payload').split(',');
const jsonOut = resolve(ROOT, arg('json', 'bench/hostile-input-results.json'));
const MODEL = join(ROOT, 'models/mnist-vae');
const WORK = join(tmpdir(), 'vae-hostile-input');

/** A preloaded module that writes the process's peak RSS (KiB) to $RSS_REPORT_FILE at exit. */
const REPORTER = join(WORK, 'rss-report.cjs');

/** What one case measured. */
interface Measured {
  readonly case: string;
  readonly seconds: number;
  readonly peakRssMb: number | null;
  readonly exit: string;
  readonly answer: string;
}

function zeros(bytes: number, block = 1 << 20): AsyncIterable<Buffer> {
  const b = Buffer.alloc(block);
  return (async function* () {
    for (let left = bytes; left > 0; left -= block) yield b.subarray(0, Math.min(left, block));
  })();
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}

/** A grey 8-bit PNG of `side`×`side` black pixels: each row a filter byte and `side` zeros, deflated as a stream. */
async function blackPng(path: string, side: number): Promise<void> {
  const parts: Buffer[] = [];
  await pipeline(zeros(side * (side + 1)), createDeflate({ level: 9 }), async (source) => {
    for await (const p of source) parts.push(p as Buffer);
  });
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = [
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ];
  await writeFile(path, Buffer.concat(png));
}

async function gzipIdx(path: string, dims: number[], dataBytes: number): Promise<void> {
  const content = async function* () {
    yield idxHeaderBytes(dims);
    yield* zeros(dataBytes);
  };
  await pipeline(content(), createGzip({ level: 9 }), createWriteStream(path));
}

async function inputs(): Promise<void> {
  await mkdir(join(WORK, 'pngs'), { recursive: true });
  await mkdir(join(WORK, 'empty'), { recursive: true });
  await writeFile(
    REPORTER,
    "process.on('exit', () => { if (process.env.RSS_REPORT_FILE) require('fs').writeFileSync(process.env.RSS_REPORT_FILE, String(process.resourceUsage().maxRSS)); });\n",
  );
  const first = join(WORK, 'pngs', 'bomb-0.png');
  if (!existsSync(first)) await blackPng(first, 20_000);
  for (let i = 1; i < 5; i++) await copyFile(first, join(WORK, 'pngs', `bomb-${i}.png`));
  const images = 3_000_000 * 784;
  if (!existsSync(join(WORK, 'bomb-images-idx3-ubyte.gz')))
    await gzipIdx(join(WORK, 'bomb-images-idx3-ubyte.gz'), [3_000_000, 28, 28], images);
  if (!existsSync(join(WORK, 'lying-images-idx3-ubyte.gz')))
    await gzipIdx(join(WORK, 'lying-images-idx3-ubyte.gz'), [10_000, 28, 28], images);
}

/** Runs the CLI with `args` to its end; peak RSS from the preloaded reporter. */
async function runCli(
  name: string,
  args: string[],
  until?: (out: string, child: ReturnType<typeof spawn>) => void,
): Promise<Measured> {
  const report = join(WORK, `${name}.rss`);
  await rm(report, { force: true });
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: cliRoot,
    env: { ...process.env, NODE_OPTIONS: `--require ${REPORTER}`, RSS_REPORT_FILE: report, LANCEDB_LOG: 'error' },
  });
  let out = '';
  const onData = (d: Buffer) => {
    out += d.toString();
    until?.(out, child);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
    child.once('exit', (c, s) => r([c, s])),
  );
  const seconds = (performance.now() - t0) / 1000;
  const kib = existsSync(report) ? Number(await readFile(report, 'utf8')) : null;
  const lines = out
    .trim()
    .split('\n')
    .filter((l) => !/npm warn|^\s*at /.test(l));
  return {
    case: name,
    seconds,
    peakRssMb: kib === null ? null : Math.round(kib / 1024),
    exit: signal ? `signal ${signal}` : `exit ${code}`,
    answer: (lines.find((l) => /error|expected|Embedded|refused|failed/i.test(l)) ?? lines.at(-1) ?? '').slice(0, 300),
  };
}

const embed = (name: string, dataset: string, data: string) =>
  runCli(name, [
    'embed',
    '--model',
    MODEL,
    '--dataset',
    dataset,
    '--data',
    data,
    '--out',
    join(WORK, `${name}.lance`),
    '--index',
    'none',
    '--overwrite',
  ]);

/** A `vae worker` given one job of 200 items with a 400 MB payload: the worker's time to fail it and its peak RSS. */
async function payloadCase(): Promise<Measured> {
  const req = createRequire(join(ROOT, 'packages/embed/package.json'));
  // @vae/embed's own copies (the repository root does not depend on them).
  const { Queue } = req('bullmq') as {
    Queue: new (
      name: string,
      o: object,
    ) => { add(n: string, d: object, o: object): Promise<unknown>; close(): Promise<void>; toKey(t: string): string };
  };
  const { Redis } = req('ioredis') as {
    Redis: new (o: object) => { set(k: string, v: Buffer): Promise<unknown>; disconnect(): void };
  };
  const { loadCorpus, makeChunk, encodeChunkJob, chunkJobId, payloadKey, bullmqConnection, redisConnection } =
    await import('@vae/embed');
  const redis = await startRedis();
  const connection = redisConnection({ url: redis.url });
  const queue = new Queue('bomb', { connection: bullmqConnection(connection) });
  const client = new Redis(connection.options);
  let addedAt = 0;
  let failedAt = 0;
  try {
    const corpus = await loadCorpus({ dataset: 'mnist', split: 'test', limit: 200 });
    const chunk = makeChunk(0, 0, corpus.pixels.slice(), Int32Array.from(corpus.labels), 784);
    const manifest = JSON.parse(await readFile(join(MODEL, 'manifest.json'), 'utf8'));
    const spec = {
      runId: 'bomb',
      modelId: manifest.graphs.encoder.sha256,
      inputSize: 784,
      batchSize: 256,
      logvar: false,
    };
    const id = chunkJobId('bomb', chunk);
    const measured = runCli(
      'payload',
      ['worker', '--queue', redis.url, '--queue-name', 'bomb', '--model', MODEL, '--lock-ms', '30000'],
      (out, child) => {
        if (!addedAt && /worker ready/.test(out)) {
          addedAt = -1;
          void (async () => {
            await client.set(payloadKey(queue, id), Buffer.alloc(400 << 20, 7));
            addedAt = performance.now();
            await queue.add('embed-chunk', encodeChunkJob(chunk, spec), { jobId: id, attempts: 1 });
          })();
        }
        if (addedAt > 0 && !failedAt && /failed:/.test(out)) {
          failedAt = performance.now();
          child.kill('SIGTERM');
        }
      },
    );
    const timeout = setTimeout(() => process.stderr.write('payload case: no failure after 120 s\n'), 120_000);
    const m = await measured;
    clearTimeout(timeout);
    return { ...m, seconds: failedAt && addedAt > 0 ? (failedAt - addedAt) / 1000 : m.seconds };
  } finally {
    client.disconnect();
    await queue.close();
    await redis.stop();
  }
}

await mkdir(WORK, { recursive: true });
await inputs();
const load0 = loadavg()[0]!;
const measured: Measured[] = [];
for (const c of cases) {
  process.stderr.write(`[hostile-input] ${c} with ${cli}\n`);
  if (c === 'startup') measured.push(await embed('startup', 'images', join(WORK, 'empty')));
  else if (c === 'png') measured.push(await embed('png', 'images', join(WORK, 'pngs')));
  else if (c === 'idx') measured.push(await embed('idx', 'idx', join(WORK, 'bomb-images-idx3-ubyte.gz')));
  else if (c === 'idx-lying') measured.push(await embed('idx-lying', 'idx', join(WORK, 'lying-images-idx3-ubyte.gz')));
  else if (c === 'payload') measured.push(await payloadCase());
  else throw new RangeError(`--cases: expected startup, png, idx, idx-lying or payload, got ${JSON.stringify(c)}`);
  process.stderr.write(`${JSON.stringify(measured.at(-1))}\n`);
}
const results = { cli, loadAverage: { start: load0, end: loadavg()[0]! }, measured };
await writeFile(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
for (const m of measured)
  process.stdout.write(
    `${m.case.padEnd(10)} ${m.seconds.toFixed(2).padStart(7)} s  ${String(m.peakRssMb ?? '?').padStart(6)} MB  ${m.exit}  ${m.answer}\n`,
  );
