import { vi } from 'vitest';
import { runCli } from '@vae/cli';

/** Runs the CLI in this process with stdout and stderr captured (spied, then restored). */
export async function runCliCaptured(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  try {
    return { code: await runCli(argv), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}
