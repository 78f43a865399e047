import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Options of {@link cliStartupBenchmark}. */
export interface CliStartupOptions {
  /** Repository root (where `pnpm build` runs and `packages/cli` lives). */
  readonly root: string;
  /** Timed runs per command (the median is reported). */
  readonly reps: number;
}

/** Median wall time of one command, in seconds. */
export interface CliStartupRow {
  readonly label: string;
  readonly command: string;
  readonly medianSeconds: number;
  readonly minSeconds: number;
  readonly reps: number;
}

/** What {@link cliStartupBenchmark} measured. */
export interface CliStartupResult {
  readonly rows: readonly CliStartupRow[];
}

async function timeCommand(label: string, args: readonly string[], root: string, reps: number): Promise<CliStartupRow> {
  const times: number[] = [];
  await run(process.execPath, [...args], { cwd: root });
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await run(process.execPath, [...args], { cwd: root });
    times.push((performance.now() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return {
    label,
    command: `node ${args.join(' ')}`,
    medianSeconds: times[Math.floor(times.length / 2)]!,
    minSeconds: times[0]!,
    reps,
  };
}

/**
 * Start-up of the `vae` command: the built CLI (`pnpm build`, run as installed packages run it:
 * JavaScript from dist, the `vae-dist` export condition picks the other packages' dist) answering
 * `--help` and `serve --help`, against bare Node start-up (`node -e 0`) and the CLI run from
 * TypeScript sources through tsx (how the repository's `pnpm vae` runs it).
 */
export async function cliStartupBenchmark(o: CliStartupOptions): Promise<CliStartupResult> {
  await run('pnpm', ['build'], { cwd: o.root });
  const built = ['--conditions=vae-dist', 'packages/cli/dist/bin.js'];
  const rows = [
    await timeCommand('node -e 0', ['-e', '0'], o.root, o.reps),
    await timeCommand('vae --help (built)', [...built, '--help'], o.root, o.reps),
    await timeCommand('vae serve --help (built)', [...built, 'serve', '--help'], o.root, o.reps),
    await timeCommand('vae --help (sources, tsx)', ['packages/cli/bin/vae.js', '--help'], o.root, o.reps),
  ];
  return { rows };
}
