import { afterEach, describe, expect, it, vi } from 'vitest';
import { consoleLogSink, getLogger, setLogLevel, setLogSink, type LogSink } from '../src/index.js';

afterEach(() => {
  vi.restoreAllMocks();
  setLogLevel('info');
  setLogSink(consoleLogSink(true));
});

describe('logging for library users', () => {
  it('sends browser records to the console method of their level, Node records to stderr', () => {
    const spies = Object.fromEntries(
      (['debug', 'info', 'warn', 'error'] as const).map((m) => [m, vi.spyOn(console, m).mockImplementation(() => {})]),
    );
    const browser = consoleLogSink(false);
    browser('info', 'runtime-web', 'loaded');
    browser('debug', 'runtime-web', 'detail');
    browser('warn', 'runtime-web', 'slow');
    expect(spies.info).toHaveBeenCalledWith('[runtime-web] loaded');
    expect(spies.debug).toHaveBeenCalledWith('debug: [runtime-web] detail');
    expect(spies.warn).toHaveBeenCalledWith('warn: [runtime-web] slow');
    expect(spies.error).not.toHaveBeenCalled();
    consoleLogSink(true)('info', 'server', 'listening');
    expect(spies.error).toHaveBeenCalledWith('[server] listening');
  });

  it('filters by setLogLevel and delivers to the sink given to setLogSink', () => {
    const seen: Parameters<LogSink>[] = [];
    setLogSink((...record) => seen.push(record));
    const log = getLogger('train').child('engine');
    setLogLevel('warn');
    log.info('hidden');
    log.warn('shown');
    setLogLevel('debug');
    log.debug('now shown');
    expect(seen).toEqual([
      ['warn', 'train:engine', 'shown'],
      ['debug', 'train:engine', 'now shown'],
    ]);
    expect(() => setLogLevel('loud' as never)).toThrow('level: expected one of debug|info|warn|error|silent, got loud');
  });
});
