import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddedChunk, EmbeddingSink } from '../src/index.js';
import { chunkKey } from '../src/index.js';

export { type CliProcess, spawnCli, stopCli } from '../../../bench/lib/cli-process.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root. */
export const ROOT = resolve(here, '../../..');
/** The reference MNIST VAE. */
export const MODEL_DIR = resolve(ROOT, 'models/mnist-vae');
/** The same architecture quantised to int8: another encoder SHA-256. */
export const OTHER_MODEL_DIR = resolve(ROOT, 'models/mnist-vae-int8');

/**
 * An in-memory EmbeddingSink that records every write call, so tests can check that the producer
 * wrote each key exactly once (it keeps the first result of a key, as the contract says).
 */
export class RecordingSink implements EmbeddingSink {
  readonly stored = new Map<string, EmbeddedChunk>();
  readonly writes: string[] = [];

  async storedKeys(): Promise<ReadonlySet<string>> {
    return new Set(this.stored.keys());
  }

  async write(chunk: EmbeddedChunk): Promise<void> {
    const key = chunkKey(chunk);
    this.writes.push(key);
    if (!this.stored.has(key)) this.stored.set(key, chunk);
  }
}

/** Whether two float arrays hold the same bits. */
export function sameBits(a: Float32Array | null, b: Float32Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
