import { describe, expect, it } from 'vitest';
import { createModelSpec, rowsPerRunFor } from '@vae/core';
import { evaluationChunkRows } from '../src/api-routes.js';
import { SERVER_DEFAULTS } from '../src/server-options.js';

describe('evaluationChunkRows: rows one log-likelihood request decodes at once', () => {
  const limits = SERVER_DEFAULTS.evaluation;

  it("keeps the server's limit for an MNIST-sized decoder", () => {
    expect(evaluationChunkRows(limits, createModelSpec({ kind: 'vae', imageShape: [28, 28, 1] }))).toBe(
      limits.maxChunkRows,
    );
  });

  it("bounds a 64×64×3 VanillaVAE by core's activation budget, below the server's limit", () => {
    const spec = createModelSpec({ kind: 'vae', imageShape: [64, 64, 3], architecture: 'conv' });
    const rows = evaluationChunkRows(limits, spec);
    expect(rows).toBe(rowsPerRunFor(spec));
    expect(rows).toBeLessThan(limits.maxChunkRows);
  });

  it('keeps a smaller operator limit', () => {
    const spec = createModelSpec({ kind: 'vae', imageShape: [64, 64, 3], architecture: 'conv' });
    expect(evaluationChunkRows({ ...limits, maxChunkRows: 8 }, spec)).toBe(8);
  });
});
