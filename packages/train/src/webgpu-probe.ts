import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';

/** What a probe of Dawn's WebGPU adapters found. */
export interface WebGpuProbe {
  /** True when an adapter was found. */
  readonly found: boolean;
  /** Software rasterizer (SwiftShader, lavapipe/llvmpipe, or a declared fallback adapter). */
  readonly software: boolean;
  /** Vendor / architecture / description of the adapter, or why none was found. */
  readonly description: string;
}

const PROBE = `
const { create, globals } = await import(process.argv[1]);
Object.assign(globalThis, globals);
const a = await create([]).requestAdapter();
const i = a ? (a.info ?? {}) : {};
process.stdout.write(JSON.stringify(a ? { found: true, fallback: !!(a.isFallbackAdapter || i.isFallbackAdapter), text: [i.vendor, i.architecture, i.description].filter(Boolean).join(' ') } : { found: false }));
process.exit(0);
`;

/**
 * Looks for a WebGPU adapter through npm `webgpu` (Dawn) in a child process, so Dawn's native
 * diagnostics (printed straight to stderr) do not reach the user while `auto` is only probing.
 */
export function probeWebGpu(timeoutMs = 20_000): Promise<WebGpuProbe> {
  let entry: string;
  try {
    entry = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (err) {
    return Promise.resolve({ found: false, software: false, description: `npm package 'webgpu' is not installed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` });
  }
  const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? tmpdir() };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', PROBE, entry], { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      try {
        const r = JSON.parse(stdout) as { found: boolean; fallback?: boolean; text?: string };
        if (!r.found) {
          const hint = stderr.split('\n').find((l) => /error|warning/i.test(l))?.trim();
          resolve({ found: false, software: false, description: `Dawn found no WebGPU adapter${hint ? ` (${hint})` : ''}` });
          return;
        }
        const text = r.text || 'unnamed adapter';
        resolve({ found: true, software: r.fallback === true || /swiftshader|llvmpipe|lavapipe/i.test(text), description: text });
      } catch {
        resolve({ found: false, software: false, description: `the WebGPU probe failed (${err ? err.message.split('\n')[0] : stderr.trim().split('\n')[0] || 'no output'})` });
      }
    });
  });
}
