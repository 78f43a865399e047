import { badRequest } from './http-error.js';

/**
 * Parses a JSON request body (or the JSON header of a binary one) and throws 400 errors that say
 * what is wrong: an empty body, the syntax error and its position, or a `__proto__` /
 * `constructor.prototype` key (refused as prototype poisoning, with the path of the key).
 */
export function parseJsonBody(text: string, what = 'body'): unknown {
  if (text.trim().length === 0) throw badRequest(`${what}: expected a JSON document, got an empty body`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest(
      `${what}: expected valid JSON, got a syntax error (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  // Keys can only be spelled with these words or with \u escapes; most bodies skip the walk.
  if (text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) refusePoisoning(value, what);
  return value;
}

function refusePoisoning(root: unknown, what: string): void {
  const stack: [unknown, string][] = [[root, what]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        if (v !== null && typeof v === 'object') stack.push([v, `${path}[${i}]`]);
      });
      continue;
    }
    if (Object.hasOwn(node, '__proto__')) {
      throw badRequest(`${path}.__proto__: expected no "__proto__" key (refused as prototype poisoning), got one`);
    }
    const ctor = (node as Record<string, unknown>).constructor;
    if (
      Object.hasOwn(node, 'constructor') &&
      ctor !== null &&
      typeof ctor === 'object' &&
      Object.hasOwn(ctor, 'prototype')
    ) {
      throw badRequest(
        `${path}.constructor.prototype: expected no "constructor.prototype" key (refused as prototype poisoning), got one`,
      );
    }
    for (const [k, v] of Object.entries(node)) if (v !== null && typeof v === 'object') stack.push([v, `${path}.${k}`]);
  }
}
