import { Rng, getLogger, type ModelSpec } from '@vae/core';
import { makeBatch } from '../../batches/batches.js';
import type { StepsPlan, StepsReport, StepsResult } from '../engine.js';
import { withElbo, type OrtBatch, type OrtStepRunner } from './ort-step-runner.js';

const log = getLogger('train:ort');

/** Steps between two progress reports of {@link runSteps} (~30 ms of training for the 784-400-20 MLP at b128). */
export const STEPS_PER_REPORT = 8;

/** Milliseconds per step of {@link runSteps}'s phases, summed (for the step profile). */
export interface StepPhases {
  /** Drawing batches (while the previous run is in flight, when `overlap`). */
  prep: number;
  /** The pending Adam update before each run. */
  adam: number;
  /** From starting a run to its loss terms, less the batch drawn meanwhile. */
  run: number;
}

/**
 * The trainer's step loop where the step runner lives: draws each batch with `makeBatch` from the
 * plan's `Rng` state (the same draws in the same order as the trainer's loop), runs
 * {@link OrtStepRunner.stepTerms}, and sums the terms weighted by rows, in the trainer's order.
 * With `overlap`, batch k + 1 is drawn while run k is in flight (onnxruntime-node runs off the
 * JavaScript thread); when a step then stops the loop, the `Rng` is rewound to the state before that
 * draw, so the returned state is always the one the trainer's loop would checkpoint.
 */
export async function runSteps(
  runner: Pick<OrtStepRunner, 'stepTerms' | 'flush'>,
  spec: ModelSpec,
  plan: StepsPlan,
  o: { overlap: boolean; onProgress?: ((r: StepsReport) => void) | undefined; phases?: StepPhases },
): Promise<StepsResult> {
  if (plan.maxSteps !== null && !(Number.isInteger(plan.maxSteps) && plan.maxSteps >= 1))
    throw new RangeError(`plan.maxSteps: expected an integer ≥ 1 or null, got ${String(plan.maxSteps)}`);
  if (!(Number.isInteger(plan.batchSize) && plan.batchSize >= 1))
    throw new RangeError(`plan.batchSize: expected an integer ≥ 1, got ${String(plan.batchSize)}`);
  const rng = Rng.fromState(plan.rng);
  const end = plan.order.length;
  const ms = o.phases ?? { prep: 0, adam: 0, run: 0 };
  const draw = (start: number): { rows: number; batch: OrtBatch } => {
    const t0 = performance.now();
    const indices = plan.order.subarray(start, Math.min(end, start + plan.batchSize));
    const b = makeBatch(plan.split, indices, rng, { spec, binarize: plan.binarize, samples: plan.samples });
    ms.prep += performance.now() - t0;
    return {
      rows: indices.length,
      batch: { x: b.x, target: b.target, ...(b.eps ? { eps: b.eps } : {}), ...(b.y ? { y: b.y } : {}) },
    };
  };
  const sums = { loss: 0, reconstruction: 0, kl: 0, elbo: 0, n: 0 };
  let steps = 0;
  let stoppedBy: StepsResult['stoppedBy'] = 'end';
  let divergedLoss: number | null = null;
  let next = plan.from < end ? draw(plan.from) : null;
  for (let start = plan.from; next; start += plan.batchSize) {
    const current = next;
    const t0 = performance.now();
    runner.flush();
    const t1 = performance.now();
    const pending = runner.stepTerms(current.batch);
    const more = start + plan.batchSize < end && (plan.maxSteps === null || steps + 1 < plan.maxSteps);
    const before = o.overlap && more ? rng.getState() : null;
    const prep0 = ms.prep;
    next = before ? draw(start + plan.batchSize) : null;
    const t = withElbo(await pending);
    ms.adam += t1 - t0;
    ms.run += performance.now() - t1 - (ms.prep - prep0);
    if (!Number.isFinite(t.loss)) {
      stoppedBy = 'diverged';
      divergedLoss = t.loss;
    } else {
      const w = current.rows;
      sums.loss += t.loss * w;
      sums.reconstruction += t.reconstruction * w;
      sums.kl += (t.kl ?? 0) * w;
      sums.elbo += (t.elbo ?? 0) * w;
      sums.n += w;
      steps++;
      if (plan.maxSteps !== null && steps >= plan.maxSteps) stoppedBy = 'max-steps';
      else if (plan.deadline !== null && Date.now() >= plan.deadline) stoppedBy = 'deadline';
    }
    if (stoppedBy !== 'end') {
      if (before) rng.setState(before);
      break;
    }
    if (!o.overlap && start + plan.batchSize < end) next = draw(start + plan.batchSize);
    if (o.onProgress && steps % STEPS_PER_REPORT === 0) o.onProgress({ steps, sums: { ...sums } });
  }
  const per = (v: number): string => (steps ? v / steps : 0).toFixed(2);
  log.debug(
    `${steps} steps${o.overlap ? ', next batch drawn during each run' : ''}: ms/step batch ${per(ms.prep)}, Adam ${per(ms.adam)}, run ${per(ms.run)}`,
  );
  return { steps, sums, rng: rng.getState(), stoppedBy, divergedLoss };
}
