/** A benchmark script run as a child process by `pnpm bench`. */
export interface SubBenchmark {
  readonly description: string;
  /** Script path relative to the repository root (run with `node --import tsx`). */
  readonly script: string;
  readonly args: readonly string[];
  /** Arguments under `--quick`. */
  readonly quickArgs: readonly string[];
  /** JSON file the script writes (relative to the root), or null when it only prints. */
  readonly resultsFile: string | null;
  /** Wall-clock limit; the run is recorded as failed when it is exceeded. */
  readonly timeoutSeconds: number;
}

/**
 * The benchmark scripts of the repository, in the order `pnpm bench` runs them. The IS-NLL
 * evaluation (`is-nll`) and browser latency (`browser`) benchmarks run in-process (bench/lib).
 */
export const SUB_BENCHMARKS = Object.freeze({
  train: {
    description: 'tfjs training speed per backend, 784-400-20 VAE, MNIST, batch 128 (s/epoch, extrapolated)',
    script: 'bench/train.ts',
    args: ['--steps', '30', '--warmup', '3'],
    quickArgs: ['--steps', '5', '--warmup', '1', '--backends', 'wasm,cpu'],
    resultsFile: 'bench/train-results.json',
    timeoutSeconds: 420,
  },
  'train-ort': {
    description: 'ort training engine vs tfjs engine, 784-400-20 VAE, MNIST, batch 128',
    script: 'bench/train-ort.ts',
    args: ['--epochs', '1', '--tfjs-steps', '20'],
    quickArgs: ['--epochs', '1', '--tfjs-steps', '3'],
    resultsFile: null,
    timeoutSeconds: 300,
  },
  'train-browser': {
    description:
      'training in a browser tab (demo train.html, ort step runner on onnxruntime-web in Chromium: wasm, WebGPU) vs the same run in Node (ort engine, CPU EP): s/epoch and validation ELBO',
    script: 'bench/train-browser.ts',
    args: ['--train-size', '55000', '--epochs', '1', '--webgpu-steps', '10'],
    quickArgs: ['--train-size', '6400', '--epochs', '1', '--webgpu-steps', '3'],
    resultsFile: 'bench/train-browser-results.json',
    timeoutSeconds: 600,
  },
  encoder: {
    description: 'encoder latency and throughput through VaeModel vs bare onnxruntime-node, per EP',
    script: 'bench/encoder.ts',
    args: ['--seconds', '1'],
    quickArgs: ['--seconds', '0.2', '--threads', '1', '--devices', 'cpu'],
    resultsFile: 'bench/encoder-results.json',
    timeoutSeconds: 300,
  },
  'vs-pytorch': {
    description:
      'this product vs PyTorch (same cores, same run): training s/epoch (vae train), IS evaluation, encoder, embed vs the bare encoder, conv',
    script: 'bench/vs-pytorch.ts',
    args: [],
    quickArgs: ['--rows', 'eval,encoder', '--images', '50'],
    resultsFile: 'bench/vs-pytorch-results.json',
    // Every PyTorch row runs at 1 and 2 threads under both OpenMP wait policies, twice (--rounds 2):
    // 900 s was not enough at load 6–8 on 2 cores.
    timeoutSeconds: 1800,
  },
  embed: {
    description:
      'bulk embedding of MNIST train into LanceDB vs the bare encoder (items/s, same batch size), IVF-PQ recall@10 and query latency vs exact search',
    script: 'bench/embed.ts',
    args: ['--rounds', '5', '--queries', '1000'],
    quickArgs: ['--rounds', '2', '--limit', '20000', '--queries', '200'],
    resultsFile: 'bench/embed-results.json',
    timeoutSeconds: 420,
  },
  server: {
    description: 'Open Inference Protocol server under load, micro-batching on vs off',
    script: 'bench/server.ts',
    args: ['--seconds', '5'],
    quickArgs: ['--seconds', '2'],
    resultsFile: 'bench/server-results.json',
    timeoutSeconds: 300,
  },
  'embed-queue': {
    description:
      'embedding on the BullMQ queue (real redis-server, vae worker processes, 1 intra-op thread each): items/s with 1 and 2 workers vs the single-process local run, MNIST train',
    script: 'bench/embed-queue.ts',
    args: ['--items', '60000', '--chunk-size', '2000'],
    quickArgs: ['--items', '10000', '--chunk-size', '1000'],
    resultsFile: 'bench/embed-queue-results.json',
    timeoutSeconds: 300,
  },
  verify: {
    description:
      'cost of the golden check at load: loadModel with verify vs without (median of interleaved loads), models/mnist-vae on onnxruntime-node cpu and onnxruntime-web wasm in Node',
    script: 'bench/verify.ts',
    args: ['--loads', '25'],
    quickArgs: ['--loads', '20', '--warmup', '1'],
    resultsFile: 'bench/verify-results.json',
    timeoutSeconds: 300,
  },
  images: {
    description:
      'image folders: decode + resize of ~100×100 JPEG/PNG to 64×64 (pure JS vs sharp), first pass into the pixel cache, and a generated 200,000-image 64×64 colour folder: cached start to the first step, peak RSS, streamed vs in-memory epoch',
    script: 'bench/images.ts',
    args: ['--decode-count', '2000', '--photos', '60', '--count', '200000', '--epochs', '1'],
    quickArgs: ['--decode-count', '400', '--photos', '10', '--count', '5000', '--epochs', '1'],
    resultsFile: 'bench/images-results.json',
    timeoutSeconds: 3600,
  },
} as const satisfies Record<string, SubBenchmark>);

/** A sub-benchmark name. */
export type SubBenchmarkName = keyof typeof SUB_BENCHMARKS;
