import { Rng, oneHot, samplePrior, type Tensor } from '@vae/core';
import { comparisonPrecision, errorStats, toleranceFor, violations } from '@vae/parity';
import { loadModel } from '@vae/runtime-node';
import { buildDemoSite, type BuiltDemoSite } from '../apps/demo/build/build-site.js';
import { listModelDirs } from '../apps/demo/build/site-content.js';
import type { SiteParity } from '../apps/demo/src/site-types.js';

/** Seeded latent rows the parity check decodes. */
const PARITY_ROWS = 64;
const PARITY_SEED = 0;

/**
 * Decoder parity of every reduced-precision model in `modelsDir` against its fp32 sibling (same
 * `provenance.paramsSha256`): `x_logits` of both on the same seeded codes (onnxruntime-node CPU),
 * against `@vae/parity`'s documented tolerance for that precision. Models without an fp32 sibling
 * are absent from the result (the site does not offer them).
 */
export async function measureDemoParity(modelsDir: string): Promise<Map<string, SiteParity>> {
  const dirs = listModelDirs(modelsDir);
  const result = new Map<string, SiteParity>();
  for (const m of dirs) {
    if (m.manifest.precision === 'fp32') continue;
    const fingerprint = m.manifest.provenance.paramsSha256;
    const ref = dirs.find(
      (d) =>
        d.manifest.precision === 'fp32' &&
        fingerprint !== undefined &&
        d.manifest.provenance.paramsSha256 === fingerprint,
    );
    if (!ref) continue;
    const [a, r] = await Promise.all([loadModel(m.dir, { device: 'cpu' }), loadModel(ref.dir, { device: 'cpu' })]);
    try {
      const z = samplePrior(new Rng(PARITY_SEED), PARITY_ROWS, a.latentDim);
      const k = a.numClasses;
      const y: Tensor | undefined =
        k > 0
          ? oneHot(
              Array.from({ length: PARITY_ROWS }, (_, i) => i % k),
              k,
            )
          : undefined;
      const [da, dr] = await Promise.all([a.decode(z, y), r.decode(z, y)]);
      const tolerance = toleranceFor('x_logits', 'exact', 'exact', comparisonPrecision(m.manifest.precision, 'fp32'));
      result.set(m.name, {
        reference: ref.name,
        output: 'x_logits',
        rows: PARITY_ROWS,
        maxAbs: errorStats(da.logits.data, dr.logits.data).maxAbs,
        tolerance,
        violations: violations(da.logits.data, dr.logits.data, tolerance).count,
      });
    } finally {
      await Promise.all([a.release(), r.release()]);
    }
  }
  return result;
}

/** `pnpm demo:build`: measures parity, then builds the static site (see `buildDemoSite`). */
export async function buildDemo(o: {
  outDir: string;
  modelsDir: string;
  brotliQuality?: number;
}): Promise<BuiltDemoSite> {
  const parity = await measureDemoParity(o.modelsDir);
  return buildDemoSite({ ...o, parity });
}
