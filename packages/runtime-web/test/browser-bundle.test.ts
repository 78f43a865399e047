import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Fails the build on any import of a Node built-in module (node:fs, os, …), naming the importer. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.path.startsWith('node:') || builtins.has(args.path)) {
        return { errors: [{ text: `Node built-in ${JSON.stringify(args.path)} imported by ${args.importer}` }] };
      }
      return undefined;
    });
  },
};

/** Bundles `entry` for the browser platform (as a page would) and returns its size and inputs. */
async function bundleForBrowser(entry: string): Promise<{ bytes: number; inputs: string[] }> {
  const result = await build({
    entryPoints: [resolve(here, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    metafile: true,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  return {
    bytes: result.outputFiles.reduce((n, f) => n + f.contents.length, 0),
    inputs: Object.keys(result.metafile.inputs),
  };
}

describe('browser safety of @vae/runtime-web', () => {
  it('the package entry bundles for the browser with no Node built-in in its graph', async () => {
    const { bytes, inputs } = await bundleForBrowser('../src/index.ts');
    expect(inputs.some((p) => p.includes('onnxruntime-web/dist/ort.webgpu'))).toBe(true);
    expect(inputs.some((p) => p.includes('packages/core/src/vae-model.ts'))).toBe(true);
    expect(inputs.filter((p) => /src\/node\/|webgpu\/index\.js|onnxruntime-node/.test(p))).toEqual([]);
    expect(bytes).toBeGreaterThan(50_000);
  });

  it('the check fails on Node code: the Node entry (Dawn setup) is rejected', async () => {
    await expect(bundleForBrowser('../src/node/index.ts')).rejects.toThrow(
      /Node built-in "node:(fs|os|path|v8|module)"/,
    );
  });
});
