/** Log levels, least to most severe; `silent` turns logging off. */
export const LOG_LEVELS = Object.freeze({ debug: 10, info: 20, warn: 30, error: 40, silent: 100 });

/** A log level name. */
export type LogLevel = keyof typeof LOG_LEVELS;

/** Where log records go; the CLI installs one that writes to stderr. */
export type LogSink = (level: Exclude<LogLevel, 'silent'>, scope: string, message: string) => void;

/** A scoped logger. Library code logs through this, never through `console` directly. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger for a sub-scope, e.g. `train:engine`. */
  child(scope: string): Logger;
}

/**
 * The default sink, the one place library output reaches the console. In Node every record goes to
 * stderr (`console.error`), so stdout stays the program's own output; in a browser each level uses its
 * console method (`console.debug`, `console.info`, `console.warn`, `console.error`), so an info line is
 * not shown as an error in the developer tools.
 */
export function consoleLogSink(inNode: boolean): LogSink {
  return (level, scope, message) => {
    const line = `${level === 'info' ? '' : `${level}: `}[${scope}] ${message}`;
    if (inNode) console.error(line);
    else console[level](line);
  };
}

const runningInNode =
  typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string';

const state: { level: LogLevel; sink: LogSink } = { level: 'info', sink: consoleLogSink(runningInNode) };

/** Sets the minimum level that reaches the sink. */
export function setLogLevel(level: LogLevel): void {
  if (!(level in LOG_LEVELS)) {
    throw new RangeError(`level: expected one of ${Object.keys(LOG_LEVELS).join('|')}, got ${String(level)}`);
  }
  state.level = level;
}

/** The current minimum level. */
export function getLogLevel(): LogLevel {
  return state.level;
}

/** Replaces the sink (e.g. to capture logs in tests, send them to your logger, or route them to a progress bar). */
export function setLogSink(sink: LogSink): void {
  state.sink = sink;
}

/** A logger for `scope`. */
export function getLogger(scope: string): Logger {
  const emit = (level: Exclude<LogLevel, 'silent'>) => (message: string) => {
    if (LOG_LEVELS[level] >= LOG_LEVELS[state.level]) state.sink(level, scope, message);
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (sub) => getLogger(`${scope}:${sub}`),
  };
}
