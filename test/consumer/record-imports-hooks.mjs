import { appendFileSync } from 'node:fs';

/** Module resolve hook: records each resolved URL, one a line. */
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.RECORD_IMPORTS, `${result.url}\n`);
  return result;
}
