/**
 * Writes the runtime table of docs/RUNTIMES.md from the registries (`pnpm docs:runtimes`): every
 * parity runtime `vae parity --runtimes all` runs, with its runtime, device, host and arithmetic.
 * `test/runtime-docs.test.ts` fails when the file is out of date.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceInfo, listRuntimes } from '@vae/core';
import { listParityRuntimes } from '@vae/parity';

export const RUNTIMES_DOC = resolve(fileURLToPath(import.meta.url), '..', '..', 'docs', 'RUNTIMES.md');
const BEGIN = '<!-- runtime-table:begin (pnpm docs:runtimes) -->';
const END = '<!-- runtime-table:end -->';

/** The markdown tables: registered runtimes with their devices, then every parity runtime. */
export function runtimeTable(): string {
  const runtimes = listRuntimes().map(
    (r) =>
      `| \`${r.name}\` | ${r.engine ?? ''} | ${r.priority ?? 0} | ${r.devices
        .map((d) => `\`${d}\`${r.deviceInfo?.[d]?.train ? ' (trains)' : ''}`)
        .join(', ')} | ${Object.keys(r.parity?.hosts ?? {}).join(', ')} |`,
  );
  const parity = listParityRuntimes().map((p) => {
    const host = p.name.includes('@')
      ? p.name.split('@')[1]
      : p.name.startsWith('tfjs-')
        ? 'node (TensorFlow.js)'
        : 'node';
    return `| \`${p.name}\` | ${p.device} | ${host} | ${p.arithmetic} | ${p.description} |`;
  });
  return [
    '| runtime | engine | priority | devices (`auto` order) | parity hosts |',
    '| --- | --- | --- | --- | --- |',
    ...runtimes,
    '',
    '| parity runtime | device | host | arithmetic | what runs |',
    '| --- | --- | --- | --- | --- |',
    ...parity,
    '',
    `Devices: ${[...new Set(listRuntimes().flatMap((r) => r.devices))].map((d) => `\`${d}\` ${deviceInfo(d)?.label ?? ''}`).join('; ')}.`,
  ].join('\n');
}

/** `text` with the block between the markers replaced by {@link runtimeTable}. */
export function withRuntimeTable(text: string): string {
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${RUNTIMES_DOC}: expected the markers ${BEGIN} … ${END}`);
  return `${text.slice(0, a + BEGIN.length)}\n${runtimeTable()}\n${text.slice(b)}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await writeFile(RUNTIMES_DOC, withRuntimeTable(await readFile(RUNTIMES_DOC, 'utf8')));
  process.stdout.write(`wrote ${join('docs', 'RUNTIMES.md')}\n`);
}
