import { specFail as fail } from '../layers/spec-checks.js';
import { registerModelKind } from '../model-kinds.js';
import type { ModelSpec } from '../model-spec.js';
import type { ObjectiveIo, ObjectiveOps, ObjectiveParts } from '../objective-ops.js';
import { batchMean, posterior, reconstruction, sampleWithKl } from '../objective-terms.js';

/** β-TCVAE's own weights (β, the total-correlation weight, is `spec.beta`). */
export interface TcvaeSpec {
  /** Weight α of the index-code mutual information I(x; z). */
  readonly alpha: number;
  /** Weight γ of the dimension-wise KL Σ_j KL(q(z_j) ‖ p(z_j)). */
  readonly gamma: number;
  /**
   * Training-set size N of the minibatch-weighted sampling estimate. It only offsets the reported
   * MI, TC and dimension-wise KL by constants (multiples of log(B·N)); gradients do not depend on it.
   */
  readonly datasetSize: number;
}

declare module '../model-spec.js' {
  interface ModelKindMap {
    'beta-tcvae': true;
  }
  interface KindFields {
    /** `beta-tcvae` only. */
    readonly tcvae?: TcvaeSpec;
  }
}

function validateTcvae(spec: ModelSpec): void {
  const t = spec.tcvae;
  if (!t || typeof t !== 'object') fail('spec.tcvae', '{ alpha, gamma, datasetSize }', t);
  for (const key of ['alpha', 'gamma'] as const)
    if (!(typeof t[key] === 'number' && t[key] >= 0 && Number.isFinite(t[key])))
      fail(`spec.tcvae.${key}`, 'a finite number ≥ 0', t[key]);
  if (!(Number.isInteger(t.datasetSize) && t.datasetSize >= 1))
    fail('spec.tcvae.datasetSize', 'an integer ≥ 1', t.datasetSize);
}

/** log N(z | m, e^lv) summed over nothing: `−½(log 2π + lv + (z − m)²·e^−lv)`, element-wise. */
function logNormal<T>(ops: ObjectiveOps<T>, z: T, mu: T, logvar: T): T {
  const d = ops.sub(z, mu);
  const scaled = ops.mul(ops.mul(d, d), ops.exp(ops.sub(ops.scalar(0), logvar)));
  return ops.mul(ops.add(ops.add(scaled, logvar), ops.scalar(Math.log(2 * Math.PI))), ops.scalar(-0.5));
}

/**
 * β-TCVAE (Chen et al. 2018): the KL term decomposed into index-code mutual information, total
 * correlation and dimension-wise KL, weighted α, β, γ:
 * `loss = reconstruction + α·MI + β·TC + γ·dimKL`, with the minibatch-weighted sampling estimates
 * `log q(z_i) ≈ logΣ_j q(z_i|x_j) − log(B·N)` and `log Π_k q(z_ik) ≈ Σ_k (logΣ_j q(z_ik|x_j) − log(B·N))`
 * over the batch's own samples z_i = μ_i + σ_i·ε_i. `kl` reports the closed-form KL.
 */
function tcvaeObjective<T>(ops: ObjectiveOps<T>, io: ObjectiveIo<T>): ObjectiveParts<T> {
  if (io.samples !== 1) throw new RangeError(`iwSamples: expected 1 for beta-tcvae, got ${io.samples}`);
  if (!io.eps) throw new RangeError('eps: expected the ε of the decoded sample for kind beta-tcvae, got none');
  const { alpha, gamma, datasetSize } = io.spec.tcvae!;
  const q = posterior(ops, io);
  const { z, kl } = sampleWithKl(ops, io, q);
  const decoded = io.decode(z, 1);
  const rec = reconstruction(ops, io, decoded);
  const logQzx = ops.sum(logNormal(ops, z, q.mu, q.logvar), 1);
  const logPz = ops.sum(logNormal(ops, z, ops.scalar(0), ops.scalar(0)), 1);
  // pair[i, j, k] = log q(z_ik | x_j)
  const pair = logNormal(ops, ops.unsqueeze(z, 1), ops.unsqueeze(q.mu, 0), ops.unsqueeze(q.logvar, 0));
  const logBN = ops.log(ops.mul(ops.rows(z), ops.scalar(datasetSize)));
  const logQz = ops.sub(ops.logSumExp(ops.sum(pair, 2), 1), logBN);
  const logProd = ops.sum(ops.sub(ops.logSumExp(pair, 1), logBN), 1);
  const mi = batchMean(ops, ops.sub(logQzx, logQz));
  const tc = batchMean(ops, ops.sub(logQz, logProd));
  const dimKl = batchMean(ops, ops.sub(logProd, logPz));
  const reg = ops.add(ops.add(ops.mul(mi, ops.scalar(alpha)), ops.mul(tc, io.beta)), ops.mul(dimKl, ops.scalar(gamma)));
  return { loss: ops.add(rec, reg), reconstruction: rec, kl, regularizer: reg, decoded, mu: q.mu, logvar: q.logvar };
}

registerModelKind('beta-tcvae', {
  variational: true,
  conditional: false,
  corruptsInput: false,
  heads: ['mu', 'logvar'],
  batchCoupled: true,
  objective: tcvaeObjective,
  needsEps: true,
  validate: validateTcvae,
  defaults: { beta: 6, fields: { tcvae: { alpha: 1, gamma: 1, datasetSize: 60000 } } },
  options: [
    { flag: 'alpha', field: 'tcvae', key: 'alpha', min: 0, describe: 'weight α of the index-code MI (default 1)' },
    { flag: 'gamma', field: 'tcvae', key: 'gamma', min: 0, describe: 'weight γ of the dimension-wise KL (default 1)' },
    {
      flag: 'tc-dataset-size',
      field: 'tcvae',
      key: 'datasetSize',
      min: 1,
      describe: 'N of the minibatch-weighted sampling estimate (default 60000; offsets the logged terms only)',
    },
  ],
  description: 'β-TCVAE (KL split into MI, total correlation and dimension-wise KL, weighted α, β, γ)',
});
