import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddedChunk, EmbeddingSink } from '../src/index.js';
import { chunkKey } from '../src/index.js';

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

/** A `vae` CLI child process with its output collected. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves when the output matches `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<void>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node --import tsx packages/cli/src/bin.ts ...args` from the repository root. */
export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/bin.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      for (const l of listeners) l();
      r({ code, signal });
    }),
  );
  return {
    child,
    output: () => out,
    exited,
    waitFor: (pattern) =>
      new Promise((resolveWait, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.delete(check);
            resolveWait();
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            reject(new Error(`process exited before printing ${pattern}:\n${out}`));
          }
        };
        listeners.add(check);
        check();
      }),
  };
}

/** Sends `signal` if the process still runs, and waits for its exit. */
export async function stopCli(p: CliProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exited;
}

/** Whether two float arrays hold the same bits. */
export function sameBits(a: Float32Array | null, b: Float32Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
