import { execFile } from 'node:child_process';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CommandModule } from 'yargs';
import { PRECISIONS, type Precision } from '@vae/core';
import type { ExportResult, PrecisionError, ProvenanceInput } from '@vae/onnx';
import type { LoadedCheckpoint } from '@vae/train';
import { checkpointProvenance } from '@vae/parity/options';

interface ExportArgs {
  run: string;
  out: string;
  precision: Precision;
  name?: string;
  seed: number;
}

/**
 * The commit of the source tree this command runs from (the checkout `vae` was started from, wherever
 * the user's working directory is), or null for an installed package (under node_modules, which may
 * sit inside the user's own git repository) or outside a git checkout.
 */
async function gitCommit(): Promise<string | null> {
  const here = dirname(fileURLToPath(import.meta.url));
  if (here.split(sep).includes('node_modules')) return null;
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: here, timeout: 5000 });
    const sha = stdout.trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

/** Provenance of a checkpoint (see `checkpointProvenance`) plus the source commit. */
export async function provenanceOf(ckpt: LoadedCheckpoint): Promise<ProvenanceInput> {
  return { ...checkpointProvenance(ckpt), commit: await gitCommit() };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The signature `inputs → outputs` of a graph in the manifest. */
function signature(g: { inputs: readonly { name: string }[]; outputs: readonly { name: string }[] }): string {
  return `${g.inputs.map((t) => t.name).join(', ')} → ${g.outputs.map((t) => t.name).join(', ')}`;
}

/** Prints the exported model: its kind and folder, each file's size and graph signature, and its provenance. */
function writeExportSummary(res: ExportResult): void {
  const m = res.manifest;
  const out = process.stdout;
  out.write(
    `exported ${m.name} (${m.kind}, ${m.likelihood}, latent ${m.latentDim}, ${m.precision}) to ${res.outDir}\n`,
  );
  const files: [string, number | undefined, string][] = [
    ['encoder.onnx', res.sizes.encoder, signature(m.graphs.encoder)],
    ['decoder.onnx', res.sizes.decoder, signature(m.graphs.decoder)],
    [
      'scorer.onnx',
      res.sizes.scorer,
      m.graphs.scorer ? `${signature(m.graphs.scorer)} (importance-sampled log p(x))` : '',
    ],
    [
      'golden.json',
      res.sizes.golden,
      "reference rows (onnxruntime-node cpu) checked by loadModel on the user's device",
    ],
  ];
  for (const [file, bytes, what] of files)
    if (bytes !== undefined)
      out.write(`  ${file.padEnd(15)}${String(bytes).padStart(10)} B  (${kib(bytes)})  ${what}\n`);
  out.write(`  manifest.json  ${String(res.sizes.manifest).padStart(10)} B\n`);
  out.write(
    `  provenance: ${m.provenance.dataset}, ${m.provenance.epochs} epochs, seed ${m.provenance.seed}, val ELBO ${m.provenance.valElbo === null ? 'n/a' : `${m.provenance.valElbo.toFixed(2)} nats`}, ${m.provenance.engine}/${m.provenance.backend}, commit ${m.provenance.commit ?? 'unknown'}\n`,
  );
}

/** Prints the largest |quantised − fp32| difference of each output, measured on a seeded batch. */
function writePrecisionError(precision: Precision, err: PrecisionError): void {
  const fmt = (r: Readonly<Record<string, number>>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v.toExponential(2)}`)
      .join(', ');
  process.stdout.write(
    `  max |${precision} − fp32| on ${err.batch} seeded inputs (seed ${err.seed}, onnxruntime-node cpu): encoder ${fmt(err.encoder)}; decoder ${fmt(err.decoder)}\n`,
  );
}

/** `vae export`: turns a training run into a model directory (encoder/decoder/scorer.onnx, golden.json, manifest.json). */
export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: 'Export a training run as ONNX encoder/decoder graphs with a manifest',
  builder: (y) =>
    y
      .option('run', {
        type: 'string',
        demandOption: true,
        describe: 'run folder written by `vae train` (or its checkpoint folder)',
      })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'model directory to write (replaced atomically if it is a model directory)',
      })
      .option('precision', {
        choices: Object.keys(PRECISIONS) as Precision[],
        default: 'fp32' as Precision,
        describe: 'weight precision of the graphs',
      })
      .option('name', { type: 'string', describe: 'model name in the manifest (default: the directory name)' })
      .option('seed', {
        type: 'number',
        default: 0,
        describe: 'seed of the fixed batch used to measure fp16/int8 error vs fp32',
      }) as never,
  handler: async (args) => {
    const [{ exportModel, measurePrecisionError, readModelDirectory }, { onnxruntimeNodeBackend }, { loadCheckpoint }] =
      await Promise.all([import('@vae/onnx'), import('@vae/runtime-node'), import('@vae/train')]);
    const ckpt = await loadCheckpoint(args.run);
    const provenance = await provenanceOf(ckpt);
    const res = await exportModel({
      spec: ckpt.spec,
      params: ckpt.params,
      provenance,
      outDir: args.out,
      precision: args.precision,
      ...(args.name ? { name: args.name } : {}),
      golden: { backend: onnxruntimeNodeBackend },
    });
    writeExportSummary(res);
    if (args.precision !== 'fp32') {
      const files = await readModelDirectory(res.outDir);
      const err = await measurePrecisionError({
        spec: ckpt.spec,
        params: ckpt.params,
        precision: args.precision,
        backend: onnxruntimeNodeBackend,
        seed: args.seed,
        encoder: files.encoder,
        decoder: files.decoder,
      });
      writePrecisionError(args.precision, err);
    }
  },
};
