/**
 * Writes the golden set (`golden.json`, named and hashed in `manifest.json`) of existing model
 * directories from their own graphs, on onnxruntime-node cpu; the graphs stay byte-identical.
 * `make-reference-models.ts` exports through `vae export`, which writes it too; this script is for
 * directories exported before golden sets existed, such as the committed `models/*`.
 *
 * Usage: `npx tsx scripts/add-golden.ts DIR...` (default: every directory under `models/`).
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { addGoldenFile } from '@vae/onnx';
import { onnxruntimeNodeBackend } from '@vae/runtime-node';

const root = resolve(import.meta.dirname, '..');
const models = join(root, 'models');
const dirs =
  process.argv.length > 2
    ? process.argv.slice(2)
    : (await readdir(models, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(models, e.name));
for (const dir of dirs) {
  const bytes = await addGoldenFile(dir, { backend: onnxruntimeNodeBackend });
  process.stdout.write(`${dir}: golden.json ${bytes} B\n`);
}
