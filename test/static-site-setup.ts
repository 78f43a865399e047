/**
 * Vitest globalSetup: a temporary folder, per run, that `test/static-site-fixture.ts` builds the
 * static demo site into once for every test file that needs it (files run in separate processes).
 * A watch-mode rerun starts from an empty folder (the sources may have changed); the folder is
 * removed at the end.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export default function setup(project: TestProject): () => Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'vae-static-site-'));
  project.provide('staticSiteRoot', root);
  project.onTestsRerun(async () => {
    await rm(root, { recursive: true, force: true });
    await mkdir(root);
  });
  return () => rm(root, { recursive: true, force: true });
}
