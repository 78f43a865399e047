// Module hooks that make `@tensorflow/*` look not installed: resolving it throws Node's own
// ERR_MODULE_NOT_FOUND, and every attempt is appended to the log file passed in `data.log`.
import { appendFileSync } from 'node:fs';

let log = '';

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('@tensorflow/')) {
    appendFileSync(log, `${specifier} <- ${context.parentURL}\n`);
    const pkg = specifier.split('/').slice(0, 2).join('/');
    throw Object.assign(new Error(`Cannot find package '${pkg}' imported from ${context.parentURL}`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
  }
  return nextResolve(specifier, context);
}
