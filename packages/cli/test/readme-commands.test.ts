import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';

/** The `vae COMMAND` names of the README's command table, in their order. */
function readmeCommands(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  return [...readme.matchAll(/^\| `vae ([a-z-]+)` \|/gm)].map((m) => m[1]!);
}

describe('packages/cli/README.md', () => {
  it('lists every command `vae --help` shows, in its order, each with what it does and an example', () => {
    expect(readmeCommands()).toEqual(COMMANDS.map((c) => String(c.command)));
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const name of readmeCommands()) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`vae ${name}\` |`))!;
      const [, what, example] = row.split(' | ');
      expect(what, name).toMatch(/\w{3}/);
      expect(example, name).toContain(`\`vae ${name} `);
    }
  });
});
