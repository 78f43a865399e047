import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../src/child-host.js';

const root = mkdtempSync(join(tmpdir(), 'vae-find-exe-'));
const project = join(root, 'project');
const file = (path: string): void => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n', { mode: 0o755 });
};
// npm `deno`: a native binary in the package, and a `.bin` shim that runs it under a Node wrapper.
file(join(project, 'node_modules', 'deno', 'deno'));
file(join(project, 'node_modules', '.bin', 'deno'));
// npm `bun`: only the `.bin` entry (it execs the binary); a folder named like the package is not a binary.
file(join(project, 'node_modules', '.bin', 'bun'));
mkdirSync(join(project, 'node_modules', 'bun', 'bun'), { recursive: true });

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('findExecutable: the child hosts’ executables', () => {
  it("prefers an npm package's own binary to its .bin shim (killing deno's shim orphaned the real deno)", () => {
    const cwd = process.cwd();
    process.chdir(project);
    try {
      expect(findExecutable('deno', { PATH: '' })).toBe(join(project, 'node_modules', 'deno', 'deno'));
      expect(findExecutable('bun', { PATH: '' })).toBe(join(project, 'node_modules', '.bin', 'bun'));
      expect(findExecutable('no-such-runtime', { PATH: '' })).toBeNull();
    } finally {
      process.chdir(cwd);
    }
  });

  it('does the same for a node_modules/.bin on PATH (npm and pnpm scripts put it first)', () => {
    const bin = join(project, 'node_modules', '.bin');
    expect(findExecutable('deno', { PATH: bin })).toBe(join(project, 'node_modules', 'deno', 'deno'));
    expect(findExecutable('bun', { PATH: bin })).toBe(join(bin, 'bun'));
  });

  it('takes VAE_<NAME>_PATH first, or nothing when it does not exist', () => {
    expect(findExecutable('deno', { VAE_DENO_PATH: join(project, 'node_modules', '.bin', 'deno') })).toBe(
      join(project, 'node_modules', '.bin', 'deno'),
    );
    expect(findExecutable('deno', { VAE_DENO_PATH: join(root, 'missing') })).toBeNull();
  });
});
