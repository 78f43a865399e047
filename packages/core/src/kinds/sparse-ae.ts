import { specFail as fail } from '../layers/spec-checks.js';
import { RHO_HAT_CLAMP } from '../losses-impl.js';
import { registerModelKind } from '../model-kinds.js';
import type { ModelSpec } from '../model-spec.js';
import type { ObjectiveOps } from '../objective-ops.js';
import { autoencoderObjective, batchMean } from '../objective-terms.js';

declare module '../model-spec.js' {
  interface ModelKindMap {
    'sparse-ae': true;
  }
}

function validateSparsity(spec: ModelSpec): void {
  const s = spec.sparsity;
  if (!s || (s.type !== 'l1' && s.type !== 'kl'))
    fail('spec.sparsity', "{ type: 'l1', weight } or { type: 'kl', rho, weight }", s);
  if (!(s.weight >= 0)) fail('spec.sparsity.weight', 'a number ≥ 0', s.weight);
  if (s.type === 'kl') {
    if (!(s.rho > 0 && s.rho < 1)) fail('spec.sparsity.rho', 'a number in (0, 1)', s.rho);
    if (spec.codeActivation !== 'sigmoid')
      fail('spec.codeActivation', "'sigmoid' for KL-sparsity (ρ̂ must lie in (0, 1))", spec.codeActivation);
  }
}

/**
 * L1: `weight·mean Σ_j |h_j|`; KL: `weight·Σ_j KL(ρ ‖ ρ̂_j)` with ρ̂_j the batch mean of unit j
 * (clamped to `RHO_HAT_CLAMP`), `KL(ρ ‖ ρ̂) = ρ log(ρ/ρ̂) + (1 − ρ) log((1 − ρ)/(1 − ρ̂))`.
 */
function sparsityPenalty<T>(ops: ObjectiveOps<T>, spec: ModelSpec, code: T): T {
  const s = spec.sparsity!;
  if (s.type === 'l1') return ops.mul(batchMean(ops, ops.sum(ops.abs(code), 1)), ops.scalar(s.weight));
  const rhoHat = ops.clip(batchMean(ops, code), RHO_HAT_CLAMP[0], RHO_HAT_CLAMP[1]);
  const r = s.rho;
  const cross = ops.add(
    ops.mul(ops.log(rhoHat), ops.scalar(r)),
    ops.mul(ops.log(ops.sub(ops.scalar(1), rhoHat)), ops.scalar(1 - r)),
  );
  const entropy = r * Math.log(r) + (1 - r) * Math.log(1 - r);
  const kl = ops.sub(ops.scalar(entropy * spec.latentDim), ops.sum(cross, 0));
  return ops.mul(kl, ops.scalar(s.weight));
}

registerModelKind('sparse-ae', {
  variational: false,
  conditional: false,
  corruptsInput: false,
  heads: ['code'],
  batchCoupled: true,
  objective: (ops, io) => autoencoderObjective(ops, io, (code) => sparsityPenalty(ops, io.spec, code)),
  validate: validateSparsity,
  defaults: { fields: { sparsity: { type: 'kl', rho: 0.05, weight: 1 } } },
  description: 'sparse autoencoder (L1 or KL-sparsity on the code)',
});
