import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ParityReport } from '@vae/parity';
import { HAS_CHROMIUM, REFERENCE_MODEL, runVae, tempDir } from './parity-fixtures.js';
import { BROWSER_DRIVERS, findExecutable } from '@vae/parity';
import { hasVulkanIcd } from './runtime-node-fixtures.js';

/** WebGPU without a GPU needs a Vulkan ICD: SwiftShader from Debian's chromium package, or one set by the user. */
const HAS_VULKAN_ICD = hasVulkanIcd();

describe('vae parity on the reference model (CI)', () => {
  it('passes on every registered runtime available without a GPU: Node, Deno, Bun, workerd, Chromium, Firefox, WebKit', async () => {
    expect(
      existsSync(join(REFERENCE_MODEL, 'manifest.json')),
      `${REFERENCE_MODEL} must exist (the export pipeline's reference model)`,
    ).toBe(true);
    const json = join(await tempDir(), 'parity.json');
    // Every registered runtime (--runtimes all), unavailable ones skipped with their reason. Batch 8 and
    // K = 8 (64 decoded rows for log p(x), one run) compute every output of every graph, as 32 × 32 did;
    // the runtimes' seconds fell from 70 to 58 (the WebGPU ones on SwiftShader most). The rest is each
    // host's and browser's start-up.
    const r = await runVae(
      ['parity', '--model', REFERENCE_MODEL, '--runtimes', 'all', '--batch', '8', '--samples', '8', '--json', json],
      400_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr.slice(-2000)}`).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as ParityReport;
    expect(report.passed).toBe(true);
    // Each status carries the runtime's reason, so a skipped one says why.
    const status = Object.fromEntries(
      report.runtimes.map((x) => [x.runtime, x.reason ? `${x.status}: ${x.reason}` : x.status]),
    );
    expect(status['ort-node-cpu']).toBe('reference');
    expect(status['ort-web-wasm']).toBe('pass');
    if (HAS_VULKAN_ICD) {
      expect(status['ort-node-webgpu']).toBe('pass');
      expect(status['ort-web-webgpu']).toBe('pass');
    }
    if (HAS_CHROMIUM) {
      expect(status['ort-web-wasm@chromium']).toBe('pass');
      expect(status['ort-web-webgpu@chromium']).toBe('pass');
    }
    // deno, bun and workerd are pinned devDependencies, Firefox and WebKit installed by .ci/run: on CI
    // every one must pass; elsewhere a missing one is skipped with its reason (checked below).
    const ci = process.env.CI === 'true';
    for (const host of ['deno', 'bun']) {
      if (!ci && !findExecutable(host)) continue;
      expect(status[`ort-node-cpu@${host}`], host).toBe('pass');
      expect(status[`ort-web-wasm@${host}`], host).toBe('pass');
    }
    if (ci || findExecutable('workerd')) expect(status['ort-web-wasm@workerd']).toBe('pass');
    for (const browser of ['firefox', 'webkit']) {
      if (ci || BROWSER_DRIVERS[browser]!.missing() === null)
        expect(status[`ort-web-wasm@${browser}`], browser).toBe('pass');
    }
    for (const x of report.runtimes) {
      expect(['reference', 'pass', 'skipped'], `${x.runtime}: ${x.reason ?? ''}`).toContain(x.status);
      if (x.status === 'skipped') expect(x.reason, `${x.runtime} skipped without a reason`).toBeTruthy();
      if (x.status === 'pass') {
        expect(x.outputs.map((c) => c.output)).toEqual(['mu', 'logvar', 'x_logits', 'x_mean', 'elbo', 'log_px']);
        for (const c of x.outputs) expect(c.stats.nonFinite).toBe(0);
      }
    }
    expect(r.stdout).toMatch(/\nPASS\n/);
  }, 420_000);
});
