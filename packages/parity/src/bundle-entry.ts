const bundles = new Map<string, Promise<string>>();

/**
 * `entry` (a page or Worker entry next to this module) bundled as one ESM file for a browser-like
 * host, resolving packages with `conditions` too (e.g. `workerd`) and leaving `external` imports
 * to the host (e.g. a Worker's wasm module); built once per process.
 */
export function bundleEntry(
  entry: string,
  conditions: readonly string[] = [],
  external: readonly string[] = [],
): Promise<string> {
  const key = `${entry}\n${conditions.join(',')}\n${external.join(',')}`;
  let bundle = bundles.get(key);
  if (!bundle) {
    bundle = (async () => {
      const { build } = await import('esbuild');
      const out = await build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        conditions: [...conditions],
        external: [...external],
        logLevel: 'silent',
      });
      return out.outputFiles.map((f) => f.text).join('\n');
    })();
    bundles.set(key, bundle);
  }
  return bundle;
}
