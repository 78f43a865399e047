import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedToTable, loadCorpus } from '@vae/embed';
import { loadModel } from '@vae/runtime-node';
import { FAULT_POINT_ENV } from '@vae/data/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured as run } from './cli-capture.js';
import { embedArgs as sharedEmbedArgs, rowsById } from './embed-table-fixtures.js';
import { REFERENCE_MODEL, ROOT, runVae } from './parity-fixtures.js';

const { PNG } = createRequire(join(ROOT, 'packages/train/package.json'))('pngjs') as typeof import('pngjs');

let dir: string;
/** models/mnist-vae-int8 renamed to mnist-vae: same name and params checksum as the reference, another encoder. */
let renamedInt8: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-embed-cli-'));
  renamedInt8 = join(dir, 'renamed-int8');
  await cp(`${REFERENCE_MODEL}-int8`, renamedInt8, { recursive: true });
  const manifest = JSON.parse(await readFile(join(renamedInt8, 'manifest.json'), 'utf8'));
  await writeFile(join(renamedInt8, 'manifest.json'), JSON.stringify({ ...manifest, name: 'mnist-vae' }));
});

/** `--model` of an argument list replaced by `model`. */
const withModel = (args: string[], model: string) => args.map((v) => (v === REFERENCE_MODEL ? model : v));
/** The encoder SHA-256 of a model directory's manifest. */
const encoderSha = async (model: string) =>
  JSON.parse(await readFile(join(model, 'manifest.json'), 'utf8')).graphs.encoder.sha256 as string;
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const embedArgs = (out: string, extra: string[] = []) => sharedEmbedArgs(out, 200, extra);

describe('vae embed', () => {
  it('a run SIGKILLed after two chunks resumes to the table of an uninterrupted run (every id once, same vectors)', async () => {
    const full = join(dir, 'full.lance');
    // The uninterrupted run and the resume in this process; the run to kill is a real child process.
    const r = await run(embedArgs(full));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      items: 1000,
      written: 5,
      skipped: 0,
      rows: 1000,
      corpus: 'mnist/test',
    });

    const killed = join(dir, 'killed.lance');
    const k = await runVae(embedArgs(killed), 120_000, { [FAULT_POINT_ENV]: 'embed:chunk-written@2' });
    expect(k.signal).toBe('SIGKILL');
    const partial = await rowsById(killed);
    expect(partial.rows).toBe(400);

    const resumed = await run(embedArgs(killed));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ written: 3, skipped: 400, rows: 1000 });
    const [a, b] = [await rowsById(full), await rowsById(killed)];
    expect(b.rows).toBe(1000);
    for (let id = 0; id < 1000; id++) {
      expect(b.byId.get(id)?.times).toBe(1);
      expect(b.byId.get(id)).toEqual(a.byId.get(id));
    }
  });

  it('refuses to resume a table with another model, naming both; an int8 export renamed to the same name, naming both encoder hashes', async () => {
    const r = await run(withModel(embedArgs(join(dir, 'full.lance')), `${REFERENCE_MODEL}-int8`));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /full\.lance: expected model "mnist-vae" \(the table was written with it\), got "mnist-vae-int8"/,
    );
    const renamed = await run(withModel(embedArgs(join(dir, 'full.lance')), renamedInt8));
    expect(renamed.code).toBe(1);
    expect(renamed.stderr).toContain(
      `expected the encoder the table was embedded with, mnist-vae (encoder SHA-256 ${await encoderSha(REFERENCE_MODEL)}, fp32), got mnist-vae (encoder SHA-256 ${await encoderSha(renamedInt8)}, int8)`,
    );
    expect((await rowsById(join(dir, 'full.lance'))).rows).toBe(1000);
  });

  it('two concurrent resumes of one table: one clear error or both fine, never a duplicate id', async () => {
    const out = join(dir, 'race.lance');
    // The table to resume, written in this process (chunks of 200, as embedArgs).
    const model = await loadModel(REFERENCE_MODEL, { device: 'cpu', threads: 1 });
    try {
      const first = await loadCorpus({ dataset: 'mnist', split: 'test', limit: 200 });
      await embedToTable(model, first, { modelDir: REFERENCE_MODEL, out, chunkSize: 200, index: 'none' });
    } finally {
      await model.release();
    }
    const runs = await Promise.all([runVae(embedArgs(out)), runVae(embedArgs(out))]);
    for (const r of runs) {
      if (r.code !== 0) expect(r.stderr).toMatch(/race\.lance: another vae embed is writing this table \(pid \d+ on /);
    }
    expect(runs.some((r) => r.code === 0)).toBe(true);
    const { rows, byId } = await rowsById(out);
    expect([rows, byId.size]).toEqual([1000, 1000]);
  });

  it('rejects bad arguments naming the option, expected and actual value', async () => {
    const bad = await run(['embed', '--model', REFERENCE_MODEL, '--dataset', 'cifar', '--out', join(dir, 'x')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--dataset: expected one of (?=[a-z|-]*mnist)(?=[a-z|-]*images)[a-z|-]+, got "cifar"/);
    const chunk = await run([
      'embed',
      '--model',
      REFERENCE_MODEL,
      '--dataset',
      'mnist',
      '--chunk-size',
      '0',
      '--out',
      join(dir, 'x'),
    ]);
    expect(chunk.stderr).toMatch(/--chunk-size: expected an integer ≥ 1, got 0/);
  });
});

describe('vae search', () => {
  it('by id and by PNG image (encoded with the table’s model), as text and JSON; the item is its own nearest', async () => {
    const table = join(dir, 'full.lance');
    const byId = await run(['search', '--table', table, '--id', '7', '--k', '5', '--json']);
    expect(byId.code, byId.stderr).toBe(0);
    const hits = JSON.parse(byId.stdout).neighbours as { id: number; label: number; distance: number }[];
    expect(hits).toHaveLength(5);
    expect(hits[0]).toMatchObject({ id: 7, distance: 0 });

    const corpus = await loadCorpus({ dataset: 'mnist', split: 'test', limit: 8 });
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 784; p++)
      png.data.set([corpus.pixels[7 * 784 + p]!, corpus.pixels[7 * 784 + p]!, corpus.pixels[7 * 784 + p]!, 255], 4 * p);
    const file = join(dir, 'seven.png');
    await writeFile(file, PNG.sync.write(png));
    const byImage = await run(['search', '--table', table, '--image', file, '--k', '5']);
    expect(byImage.code, byImage.stderr).toBe(0);
    expect(byImage.stdout).toMatch(
      /^5 nearest in .*full\.lance \(exact, [\d.]+ ms\):\n {2}id 7 {2}label 9 {2}distance² 0\.0000\n/,
    );
    expect(
      byImage.stdout
        .split('\n')
        .filter((l) => l.startsWith('  id '))
        .map((l) => Number(l.split(/\s+/)[2])),
    ).toEqual(hits.map((h) => h.id));

    const wrong = await run(['search', '--table', table, '--image', file, '--model', renamedInt8]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      `(encoder SHA-256 ${await encoderSha(REFERENCE_MODEL)}, fp32), got mnist-vae (encoder SHA-256 ${await encoderSha(renamedInt8)}, int8)`,
    );

    const neither = await run(['search', '--table', table]);
    expect(neither.stderr).toMatch(/--id\/--image: expected exactly one, got neither/);
    const missing = await run(['search', '--table', join(dir, 'none.lance'), '--id', '1']);
    expect(missing.stderr).toMatch(/table: expected an embeddings table at .*none\.lance, got no such directory/);
  });
});
