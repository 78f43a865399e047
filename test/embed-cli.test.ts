import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCorpus } from '@vae/embed';
import { FAULT_POINT_ENV } from '@vae/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedArgs as sharedEmbedArgs, rowsById } from './embed-table-fixtures.js';
import { REFERENCE_MODEL, ROOT, runVae } from './parity-fixtures.js';

const { PNG } = createRequire(join(ROOT, 'packages/train/package.json'))('pngjs') as typeof import('pngjs');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vae-embed-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const embedArgs = (out: string, extra: string[] = []) => sharedEmbedArgs(out, 200, extra);

describe('vae embed', () => {
  it('a run SIGKILLed after two chunks resumes to the table of an uninterrupted run (every id once, same vectors)', async () => {
    const full = join(dir, 'full.lance');
    const r = await runVae(embedArgs(full));
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

    const resumed = await runVae(embedArgs(killed));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ written: 3, skipped: 400, rows: 1000 });
    const [a, b] = [await rowsById(full), await rowsById(killed)];
    expect(b.rows).toBe(1000);
    for (let id = 0; id < 1000; id++) {
      expect(b.byId.get(id)?.times).toBe(1);
      expect(b.byId.get(id)).toEqual(a.byId.get(id));
    }
  });

  it('refuses to resume a table with another model, naming both', async () => {
    const r = await runVae(
      embedArgs(join(dir, 'full.lance'), []).map((v) => (v === REFERENCE_MODEL ? `${REFERENCE_MODEL}-int8` : v)),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /full\.lance: expected model "mnist-vae" \(the table was written with it\), got "mnist-vae-int8"/,
    );
  });

  it('rejects bad arguments naming the option, expected and actual value', async () => {
    const bad = await runVae(['embed', '--model', REFERENCE_MODEL, '--dataset', 'cifar', '--out', join(dir, 'x')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--dataset: expected one of mnist\|fashion-mnist\|idx\|images, got "cifar"/);
    const chunk = await runVae([
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
    const byId = await runVae(['search', '--table', table, '--id', '7', '--k', '5', '--json']);
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
    const byImage = await runVae(['search', '--table', table, '--image', file, '--k', '5']);
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

    const neither = await runVae(['search', '--table', table]);
    expect(neither.stderr).toMatch(/--id\/--image: expected exactly one, got neither/);
    const missing = await runVae(['search', '--table', join(dir, 'none.lance'), '--id', '1']);
    expect(missing.stderr).toMatch(/table: expected an embeddings table at .*none\.lance, got no such directory/);
  });
});
