/**
 * Trains the reference model and exports it into `models/` so runtime, parity and browser tests run
 * without training: the 784-400-20 Bernoulli VAE on MNIST (dynamically binarized), 20 epochs,
 * exported as `models/mnist-vae/` (fp32) and `models/mnist-vae-int8/` (int8 weights).
 *
 * Usage: `npx tsx scripts/make-reference-models.ts [--epochs N] [--run-dir DIR]`
 * (defaults: 20 epochs on the engine `auto` picks — ort —, `runs/reference-mnist-vae`; the run folder is kept
 * for inspection).
 */
import { resolve } from 'node:path';
import { runCli } from '@vae/cli';
import { train } from '@vae/train';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const root = resolve(import.meta.dirname, '..');
const epochs = Number(flag('epochs', '20'));
if (!Number.isInteger(epochs) || epochs < 1)
  throw new RangeError(`--epochs: expected a positive integer, got ${flag('epochs', '20')}`);
const runDir = resolve(root, flag('run-dir', 'runs/reference-mnist-vae'));

const result = await train({
  dataset: 'mnist',
  model: { kind: 'vae', architecture: 'mlp', hidden: [400], latentDim: 20, likelihood: 'bernoulli' },
  binarize: 'dynamic',
  epochs,
  batchSize: 128,
  learningRate: 1e-3,
  seed: 1,
  backend: 'auto',
  runDir,
});
process.stdout.write(`trained ${result.runDir}\n`);

for (const [precision, dir] of [
  ['fp32', 'mnist-vae'],
  ['int8', 'mnist-vae-int8'],
] as const) {
  const code = await runCli([
    'export',
    '--run',
    runDir,
    '--out',
    resolve(root, 'models', dir),
    '--precision',
    precision,
    '--name',
    dir,
  ]);
  if (code !== 0) throw new Error(`export of ${dir} failed with exit code ${code}`);
}
