import yargs, { type Argv } from 'yargs';
import { getLogger, setLogLevel, setLogSink, type LogLevel } from '@vae/core';
import { COMMANDS } from './commands/index.js';

const log = getLogger('vae');

/** Builds the yargs parser with every registered command. */
function buildCli(argv: string[]): Argv {
  let cli = yargs(argv)
    .scriptName('vae')
    .usage('$0 <command> [options]\n\nTrain a VAE once, export it to ONNX and run it everywhere.')
    .option('log-level', {
      choices: ['debug', 'info', 'warn', 'error', 'silent'] as const,
      default: 'info' as LogLevel,
      describe: 'minimum level of log messages (written to stderr)',
    })
    .middleware((args) => setLogLevel(args['log-level'] as LogLevel))
    .demandCommand(1, 'Name a command; see the list above.')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 110));
  for (const command of COMMANDS) cli = cli.command(command as never);
  return cli;
}

/** Runs the CLI and resolves to the process exit code (errors are logged, not thrown). */
export async function runCli(argv: string[]): Promise<number> {
  setLogSink((level, scope, message) => {
    process.stderr.write(`${level === 'info' ? '' : `${level}: `}${scope === 'vae' ? '' : `[${scope}] `}${message}\n`);
  });
  try {
    await buildCli(argv)
      .fail((msg, err) => {
        if (err) throw err;
        throw Object.assign(new Error(`${msg}\nRun 'vae --help' for usage.`), { exitCode: 2 });
      })
      .parseAsync();
  } catch (err) {
    log.error(err instanceof Error ? err.message : String(err));
    if (err instanceof Error && err.stack) log.debug(err.stack);
    return typeof (err as { exitCode?: unknown }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
