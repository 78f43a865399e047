import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lancedb from '@lancedb/lancedb';
import type { VaeModel } from '@vae/core';
import { loadModel } from '@vae/runtime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertSameModel,
  type Corpus,
  EmbeddingTable,
  embedToTable,
  loadCorpus,
  openTableForRead,
  openTableSearch,
  TableBusyError,
  tableMeta,
} from '../src/index.js';

/**
 * A table under concurrent writers, other encoders and hostile queries: one writer at a time (a
 * lease), ids unique, vectors of one encoder only (its SHA-256 recorded), no empty table left by a
 * refused run, no silent empty answer to an overflowing query.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MODEL_DIR = join(ROOT, 'models/mnist-vae');
const OPTS = { modelDir: MODEL_DIR, chunkSize: 100, index: 'none' } as const;

let dir: string;
let model: VaeModel;
let corpus: Corpus;
/** models/mnist-vae-int8 with its manifest renamed to mnist-vae: same name and params checksum, another encoder. */
let renamedInt8: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-table-guards-'));
  model = await loadModel(MODEL_DIR, { device: 'cpu', threads: 1 });
  corpus = await loadCorpus({ dataset: 'mnist', split: 'test', limit: 600 });
  renamedInt8 = join(dir, 'renamed-int8');
  await cp(join(ROOT, 'models/mnist-vae-int8'), renamedInt8, { recursive: true });
  const manifest = JSON.parse(await readFile(join(renamedInt8, 'manifest.json'), 'utf8'));
  await writeFile(join(renamedInt8, 'manifest.json'), JSON.stringify({ ...manifest, name: 'mnist-vae' }));
});
afterAll(async () => {
  await model?.release();
  await rm(dir, { recursive: true, force: true });
});

/** Rows of a table and how many distinct ids they have. */
async function idCounts(path: string): Promise<{ rows: number; distinct: number }> {
  const { table } = await openTableForRead(path);
  try {
    const ids = (await table.query().select(['id']).toArrow()).getChild('id')!.toArray() as Int32Array;
    return { rows: ids.length, distinct: new Set(ids).size };
  } finally {
    table.close();
  }
}

describe('one writer per table', () => {
  it('two concurrent resumes of one table: one fails naming the holder, the ids stay unique', async () => {
    // In a folder that does not exist yet: the lease is taken before LanceDB creates it.
    const out = join(dir, 'new', 'race.lance');
    const first = await loadCorpus({ dataset: 'mnist', split: 'test', limit: 200 });
    await embedToTable(model, first, { ...OPTS, out });
    const runs = await Promise.allSettled([
      embedToTable(model, corpus, { ...OPTS, out }),
      embedToTable(model, corpus, { ...OPTS, out }),
    ]);
    const failed = runs.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    expect(failed.length).toBe(1);
    expect(failed[0]).toBeInstanceOf(TableBusyError);
    expect(failed[0].message).toMatch(
      new RegExp(`race\\.lance: another vae embed is writing this table \\(pid ${process.pid} on .*\\); wait for it`),
    );
    expect(await idCounts(out)).toEqual({ rows: 600, distinct: 600 });
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  it('takes over the lease of a writer that died (its PID no longer runs)', async () => {
    const out = join(dir, 'new', 'race.lance');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(
      `${out}.lock`,
      JSON.stringify({ pid: dead, host: (await import('node:os')).hostname(), token: 'x', since: '', command: 'old' }),
    );
    const t = await EmbeddingTable.open(out, tableMeta(model, MODEL_DIR, corpus, OPTS));
    await t.close();
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  it("commits rows serialised off-thread through LanceDB's native add (present in the pinned LanceDB)", async () => {
    const { table } = await openTableForRead(join(dir, 'new', 'race.lance'));
    try {
      expect(typeof (table as unknown as { inner?: { add?: unknown } }).inner?.add).toBe('function');
    } finally {
      table.close();
    }
  });

  it('refuses to commit after another process wrote to the table behind the lease, and writes nothing', async () => {
    const out = join(dir, 'foreign.lance');
    const meta = tableMeta(model, MODEL_DIR, corpus, OPTS);
    const t = await EmbeddingTable.open(out, meta);
    try {
      // A writer that ignores the lease (e.g. an older vae on another machine) commits one row.
      const foreign = await (await lancedb.connect(dir)).openTable('foreign');
      await foreign.add([{ id: 999, label: 0, hash: 'f'.repeat(16), chunk: '9:x', vector: new Array(20).fill(0) }]);
      foreign.close();
      await expect(
        t.write({
          index: 0,
          start: 0,
          count: 1,
          hash: '0123456789abcdef',
          labels: new Int32Array(1),
          itemHashes: ['0123456789abcdef'],
          dim: 20,
          mu: new Float32Array(20),
          logvar: null,
        }),
      ).rejects.toThrow(
        /expected the table at version \d+ \(this run's last commit\), got version \d+: another process wrote to it/,
      );
    } finally {
      await t.close();
    }
    // Only the foreign row: nothing of chunk 0.
    expect(await idCounts(out)).toEqual({ rows: 1, distinct: 1 });
  });
});

describe('one encoder per table', () => {
  it('refuses an int8 export renamed to the table’s model, naming both encoder hashes (resume and search)', async () => {
    const out = join(dir, 'fp32.lance');
    await embedToTable(model, corpus, { ...OPTS, out });
    const int8 = await loadModel(renamedInt8, { device: 'cpu', threads: 1 });
    try {
      expect(int8.manifest.name).toBe(model.manifest.name);
      expect(int8.manifest.provenance.paramsSha256).toBe(model.manifest.provenance.paramsSha256);
      const both = new RegExp(
        `expected the encoder the table was embedded with, mnist-vae \\(encoder SHA-256 ${model.manifest.graphs.encoder.sha256}, fp32\\), got mnist-vae \\(encoder SHA-256 ${int8.manifest.graphs.encoder.sha256}, int8\\)`,
      );
      await expect(embedToTable(int8, corpus, { ...OPTS, modelDir: renamedInt8, out })).rejects.toThrow(both);
      const search = await openTableSearch(out);
      try {
        expect(search.meta).toMatchObject({ encoderSha256: model.manifest.graphs.encoder.sha256, precision: 'fp32' });
        expect(() => assertSameModel(search.meta, int8, out)).toThrow(both);
        expect(() => assertSameModel(search.meta, model, out)).not.toThrow();
      } finally {
        search.close();
      }
    } finally {
      await int8.release();
    }
    expect(await idCounts(out)).toEqual({ rows: 600, distinct: 600 });
  });

  it('a table written before tables recorded their encoder gets a clear message, not a crash', async () => {
    const out = join(dir, 'old.lance');
    const { encoderSha256: _e, precision: _p, ...oldMeta } = tableMeta(model, MODEL_DIR, corpus, OPTS);
    await (await EmbeddingTable.open(out, oldMeta)).close();
    const why =
      /old\.lance: expected a table that records its encoder's SHA-256, got one written before vae embed recorded it .*re-embed it with vae embed --overwrite/;
    await expect(embedToTable(model, corpus, { ...OPTS, out })).rejects.toThrow(why);
    const search = await openTableSearch(out);
    try {
      expect(() => assertSameModel(search.meta, model, out)).toThrow(why);
    } finally {
      search.close();
    }
    await embedToTable(model, corpus, { ...OPTS, out, overwrite: true });
    const again = await openTableSearch(out);
    try {
      expect(() => assertSameModel(again.meta, model, out)).not.toThrow();
    } finally {
      again.close();
    }
  });
});

describe('refused runs and queries', () => {
  it("checks an IDX file's and a PNG's header against the model's shape and the size limit before decoding", async () => {
    const idx = join(dir, 'big-images-idx3-ubyte');
    const header = Buffer.alloc(16);
    header[2] = 0x08;
    header[3] = 3;
    [2, 64, 64].forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    await writeFile(idx, Buffer.concat([header, Buffer.alloc(2 * 64 * 64)]));
    await expect(loadCorpus({ dataset: 'idx', data: idx, imageShape: [28, 28, 1] })).rejects.toThrow(
      /expected items of 28 high × 28 wide, the header says 64 high × 64 wide \(\[2, 64, 64\]\); not decoded/,
    );
    await expect(loadCorpus({ dataset: 'idx', data: idx, maxBytes: 4096 })).rejects.toThrow(
      /expected at most 4096 bytes of IDX data, the header claims \[2, 64, 64\] = 8192; not decoded; .*--max-data-mb/,
    );
  });

  it('a corpus of another image size is refused before the table is created (no empty .lance folder)', async () => {
    const out = join(dir, 'never.lance');
    const small = { ...corpus, imageShape: [14, 14, 1] as const, inputSize: 196, name: 'small/all' };
    await expect(embedToTable(model, small, { ...OPTS, out })).rejects.toThrow(
      /dataset: expected images of 28 high × 28 wide × 1 channel for mnist-vae, got 14 high × 14 wide × 1 channel from small\/all/,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.lock`)).toBe(false);
  });

  it('a run that fails before its first chunk removes the table it created', async () => {
    const out = join(dir, 'failed.lance');
    await expect(embedToTable(model, corpus, { ...OPTS, out, batchSize: 0 })).rejects.toThrow(
      /batchSize: expected an integer ≥ 1, got 0/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a finite query vector whose distances overflow float32 is refused, not answered with no neighbours', async () => {
    const search = await openTableSearch(join(dir, 'new', 'race.lance'));
    try {
      const v = new Float32Array(20);
      v[0] = 3e38;
      await expect(search.search({ vector: v }, 5)).rejects.toThrow(
        /vector: expected a squared norm of at most 8\.51e\+37 \(squared distances must fit float32\), got 9\.00e\+76/,
      );
      v[0] = 1e3;
      expect((await search.search({ vector: v }, 5)).length).toBe(5);
    } finally {
      search.close();
    }
  });
});
