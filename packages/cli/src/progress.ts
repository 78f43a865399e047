import type cliProgress from 'cli-progress';
import type { Argv } from 'yargs';
import { setLogSink } from '@vae/core';

/** A cli-progress multi-bar on stderr with the logger's lines printed above it until `stop`. */
export interface ProgressBars {
  readonly multi: cliProgress.MultiBar;
  stop(): void;
}

/** Starts a cli-progress multi-bar on stderr with `format`; logs print above it (a plain line when stderr is no TTY). */
export async function startProgressBars(format: string): Promise<ProgressBars> {
  const { MultiBar, Presets } = (await import('cli-progress')).default;
  const multi = new MultiBar(
    {
      stream: process.stderr,
      format,
      hideCursor: true,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 5000,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  setLogSink((level, scope, message) => {
    const line = `${level === 'info' ? '' : `${level}: `}[${scope}] ${message}\n`;
    if (process.stderr.isTTY) multi.log(line);
    else process.stderr.write(line);
  });
  return {
    multi,
    stop() {
      multi.stop();
      setLogSink((level, scope, message) =>
        process.stderr.write(`${level === 'info' ? '' : `${level}: `}[${scope}] ${message}\n`),
      );
    },
  };
}

/** A yargs `coerce` accepting one of `choices` (the last when repeated); the error names the option. */
export function choice<T extends string>(option: string, choices: readonly T[]): (v: unknown) => T | undefined {
  return (raw: unknown) => {
    if (raw === undefined) return undefined;
    const v = String(Array.isArray(raw) ? raw[raw.length - 1] : raw);
    if (!(choices as readonly string[]).includes(v))
      throw new RangeError(`--${option}: expected one of ${choices.join('|')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
}

/** The `--progress` and `--json` options of the long-running commands (`vae train`, `vae embed`). */
export function progressAndJsonOptions<T>(y: Argv<T>): Argv<T & { progress?: boolean; json: boolean }> {
  return y
    .option('progress', {
      type: 'boolean',
      describe: 'draw a progress bar on stderr (default: when stderr is a TTY)',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the result as JSON on stdout',
    });
}
