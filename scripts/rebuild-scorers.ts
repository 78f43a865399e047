/**
 * Rebuilds `scorer.onnx` of committed model directories with the current scorer graph, from the
 * fp32 weights of one directory's `encoder.onnx` and `decoder.onnx` initializers (checked against
 * the manifest's `paramsSha256`), at each directory's own precision; updates the scorer's size and
 * SHA-256 in `manifest.json` and rewrites `golden.json` from the graphs (onnxruntime-node cpu).
 * `encoder.onnx` and `decoder.onnx` stay byte-identical. Use it after changing the scorer graph
 * instead of retraining (`make-reference-models.ts`).
 *
 * Usage: `npx tsx scripts/rebuild-scorers.ts [--from models/mnist-vae] [DIR...]` (default: every
 * directory under `models/`).
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parametersSha256, sha256Hex, type ParameterSet } from '@vae/core';
import { addGoldenFile, buildScorerGraph, readModelDirectory } from '@vae/onnx';
import { onnxruntimeNodeBackend } from '@vae/runtime-node';
import { createRequire } from 'node:module';

const root = resolve(import.meta.dirname, '..');
/** The part of onnx-proto (@vae/onnx's CommonJS dependency, resolved from that package) read here. */
interface OnnxProto {
  readonly onnx: {
    readonly TensorProto: { readonly DataType: { readonly FLOAT: number } };
    readonly ModelProto: {
      decode(bytes: Uint8Array): {
        readonly graph?: {
          readonly initializer?: readonly {
            readonly name?: string;
            readonly dataType?: number;
            readonly dims?: readonly unknown[];
            readonly rawData?: Uint8Array;
          }[];
        };
      };
    };
  };
}
const { onnx } = createRequire(join(root, 'packages/onnx/package.json'))('onnx-proto') as OnnxProto;
const args = process.argv.slice(2);
const at = args.indexOf('--from');
const from = resolve(root, at >= 0 ? args.splice(at, 2)[1]! : 'models/mnist-vae');
const dirs = args.length
  ? args.map((d) => resolve(d))
  : (await readdir(join(root, 'models'), { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => join(root, 'models', e.name));

/** The float32 initializers of the encoder and decoder graphs, by parameter name. */
async function readParameters(dir: string): Promise<ParameterSet> {
  const model = await readModelDirectory(dir);
  const params: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const bytes of [model.encoder, model.decoder]) {
    for (const t of onnx.ModelProto.decode(bytes).graph!.initializer!) {
      if (!/^(encoder|decoder)\./.test(t.name!)) continue;
      if (t.dataType !== onnx.TensorProto.DataType.FLOAT)
        throw new Error(`${dir}: expected float32 initializer ${t.name}, got data type ${t.dataType}`);
      params[t.name!] = { data: new Float32Array(Uint8Array.from(t.rawData!).buffer), shape: t.dims!.map(Number) };
    }
  }
  const digest = await parametersSha256(model.manifest.spec, params);
  if (digest !== model.manifest.provenance.paramsSha256)
    throw new Error(
      `${dir}: weights read back hash to ${digest}, manifest says ${model.manifest.provenance.paramsSha256}`,
    );
  return params;
}

const params = await readParameters(from);
for (const dir of dirs) {
  const { manifest } = await readModelDirectory(dir);
  const info = manifest.graphs.scorer;
  if (!info) continue;
  const bytes = buildScorerGraph(manifest.spec, params, { precision: manifest.precision });
  await writeFile(join(dir, info.file), bytes);
  const path = join(dir, 'manifest.json');
  const json = JSON.parse(await readFile(path, 'utf8'));
  json.graphs.scorer = { ...json.graphs.scorer, sha256: await sha256Hex(bytes), bytes: bytes.length };
  await writeFile(`${path}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
  const golden = await addGoldenFile(dir, { backend: onnxruntimeNodeBackend });
  process.stdout.write(`${dir}: scorer.onnx ${bytes.length} B, golden.json ${golden} B\n`);
}
