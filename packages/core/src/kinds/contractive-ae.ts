import { specFail as fail } from '../layers/spec-checks.js';
import { registerModelKind } from '../model-kinds.js';
import type { ModelSpec } from '../model-spec.js';
import type { ObjectiveOps } from '../objective-ops.js';
import { autoencoderObjective, batchMean } from '../objective-terms.js';

declare module '../model-spec.js' {
  interface ModelKindMap {
    'contractive-ae': true;
  }
}

const KERNEL = 'encoder.code.kernel';

function validateContractive(spec: ModelSpec): void {
  if (!(typeof spec.contractiveWeight === 'number' && spec.contractiveWeight >= 0))
    fail('spec.contractiveWeight', 'a number ≥ 0', spec.contractiveWeight);
  if (spec.encoder.length !== 0)
    fail(
      'spec.encoder',
      '[] for contractive-ae (the closed-form penalty is for one sigmoid layer x → h)',
      spec.encoder.map((l) => l.type),
    );
  if (spec.codeActivation !== 'sigmoid')
    fail('spec.codeActivation', "'sigmoid' for contractive-ae", spec.codeActivation);
}

/** `λ·mean Σ_j (h_j(1 − h_j))² Σ_i W_ij²`: ‖∂h/∂x‖²_F of the sigmoid layer h = σ(xW + b), W read as a parameter. */
function contractivePenalty<T>(ops: ObjectiveOps<T>, spec: ModelSpec, code: T, kernel: T | undefined): T {
  if (kernel === undefined) throw new RangeError(`params: missing parameter "${KERNEL}"`);
  const colNorms = ops.sum(ops.mul(kernel, kernel), 0);
  const slope = ops.mul(code, ops.sub(ops.scalar(1), code));
  const perRow = ops.sum(ops.mul(ops.mul(slope, slope), colNorms), 1);
  return ops.mul(batchMean(ops, perRow), ops.scalar(spec.contractiveWeight!));
}

registerModelKind('contractive-ae', {
  variational: false,
  conditional: false,
  corruptsInput: false,
  heads: ['code'],
  objective: (ops, io) =>
    autoencoderObjective(ops, io, (code) => contractivePenalty(ops, io.spec, code, io.params[KERNEL])),
  objectiveParams: [KERNEL],
  validate: validateContractive,
  defaults: { sigmoidCode: true, singleLayer: true, fields: { contractiveWeight: 0.1 } },
  description: 'contractive autoencoder (closed-form Jacobian penalty, sigmoid code)',
});
