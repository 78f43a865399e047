/**
 * The value after `--name` on the benchmark's command line, or `fallback` when the flag is absent
 * or has no value: the one option parser every benchmark script shares.
 */
export function benchArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
