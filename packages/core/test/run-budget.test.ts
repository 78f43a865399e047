import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROWS_PER_RUN,
  RUN_ACTIVATION_BUDGET_BYTES,
  createModelSpec,
  decodedRowFloats,
  rowsPerRunFor,
} from '../src/index.js';

describe('rowsPerRunFor: default decoded rows per run by the decoder size', () => {
  it('keeps the measured default for MNIST-sized decoders (MLP and conv)', () => {
    const mlp = createModelSpec({ kind: 'vae', imageShape: [28, 28, 1] });
    // 400 + 784 decoder outputs + 20 latent + 3 × 784.
    expect(decodedRowFloats(mlp)).toBe(400 + 784 + 20 + 3 * 784);
    expect(rowsPerRunFor(mlp)).toBe(DEFAULT_ROWS_PER_RUN);
    expect(rowsPerRunFor(createModelSpec({ kind: 'vae', imageShape: [28, 28, 1], architecture: 'conv' }))).toBe(
      DEFAULT_ROWS_PER_RUN,
    );
  });

  it("fits a 64×64×3 VanillaVAE's run in the activation budget (4,096 rows exhausted the wasm heap)", () => {
    const spec = createModelSpec({ kind: 'vae', imageShape: [64, 64, 3], architecture: 'conv' });
    const rows = rowsPerRunFor(spec);
    expect(rows).toBeLessThan(DEFAULT_ROWS_PER_RUN);
    expect(rows * 4 * decodedRowFloats(spec)).toBeLessThanOrEqual(RUN_ACTIVATION_BUDGET_BYTES);
    expect((rows + 1) * 4 * decodedRowFloats(spec)).toBeGreaterThan(RUN_ACTIVATION_BUDGET_BYTES);
    expect(rowsPerRunFor(spec, 1)).toBe(1);
  });

  it('rejects a budget that is not a positive number, naming it', () => {
    const spec = createModelSpec({ kind: 'vae', imageShape: [28, 28, 1] });
    expect(() => rowsPerRunFor(spec, 0)).toThrow(/budgetBytes: expected a positive number of bytes, got 0/);
    expect(() => rowsPerRunFor(spec, Number.NaN)).toThrow(/budgetBytes/);
  });
});
