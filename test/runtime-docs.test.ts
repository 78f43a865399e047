import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RUNTIMES_DOC, withRuntimeTable } from '../scripts/runtime-table.js';

describe('docs/RUNTIMES.md', () => {
  it('lists exactly the registered runtimes and parity runtimes (regenerate with pnpm docs:runtimes)', async () => {
    const text = await readFile(RUNTIMES_DOC, 'utf8');
    expect(text).toBe(withRuntimeTable(text));
  });
});
