import { type BackendFactory, createRedisBackend, type RedisQueueBackend } from 'bullmq';
import { UNREADABLE_JOB } from './chunk-job.js';

/**
 * Hash fields of a stored job that BullMQ parses as JSON when a worker takes it, each with a
 * harmless stand-in (`parent: ''` reads as no parent).
 */
const PARSED_FIELDS: Readonly<Record<string, string>> = Object.freeze({
  data: '{}',
  opts: '{}',
  progress: '0',
  parent: '',
});

/** Why a stored field is unusable (`job opts: expected …, got …`), or null when it parses. */
function fieldProblem(name: string, value: unknown): string | null {
  if (name === 'parent' && (value === '' || value === undefined)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch (err) {
    return `job ${name}: expected JSON, got unreadable bytes (${(err as Error).message})`;
  }
  if (name === 'progress' || (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))) return null;
  return `job ${name}: expected a JSON object, got ${JSON.stringify(parsed)?.slice(0, 60)}`;
}

/**
 * Makes a taken job's stored fields (the flat `[field, value, …]` list of its hash, changed in
 * place) safe for BullMQ to parse: an unparsable `data`, `opts`, `progress` or `parent` is replaced
 * by a stand-in, and `data` then names every problem under {@link UNREADABLE_JOB}, which
 * `decodeChunkJob` refuses; so does a record without `data` (expired while its id waited). Returns
 * the problems (empty when the job was readable).
 */
export function makeJobReadable(fields: unknown[]): string[] {
  const problems: string[] = [];
  let dataAt = -1;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = String(fields[i]);
    if (name === 'data') dataAt = i + 1;
    const standIn = PARSED_FIELDS[name];
    if (standIn === undefined) continue;
    const problem = fieldProblem(name, fields[i + 1]);
    if (problem === null) continue;
    problems.push(problem);
    fields[i + 1] = standIn;
  }
  // BullMQ stores `data` with every job: a hash without it is a record that expired while its id
  // waited (its producer stopped), which BullMQ's take recreated with a few fields.
  if (dataAt < 0)
    problems.push(
      'job record: expected a stored job, got none (it expired after its producer stopped; rerun vae embed --queue)',
    );
  if (problems.length > 0) {
    const data = JSON.stringify({ [UNREADABLE_JOB]: problems.join('; ') });
    if (dataAt >= 0) fields[dataAt] = data;
    else fields.push('data', data);
  }
  return problems;
}

/** The scripts whose reply carries a job a worker has just taken (`[fields, id, …]`). */
const TAKING_SCRIPTS = new Set(['moveToActive', 'moveToFinished']);

/**
 * BullMQ's Redis backend, except that a job a worker takes passes {@link makeJobReadable} before
 * BullMQ parses it. Without this, a stored field that is not JSON made BullMQ's parse throw after it
 * had moved the job to active and locked it: the error escaped the worker's loop, the job stalled,
 * was taken again, and failed only after `maxStalledCount` (10) lock periods. Now the processor
 * refuses it at its first take (failed, not retried), naming the field.
 */
export const readableJobsBackend: BackendFactory<RedisQueueBackend> = (name, opts, options) => {
  const backend = createRedisBackend(name, opts, options);
  const exec = backend.execCommand.bind(backend);
  backend.execCommand = (client, command, args) => {
    const reply = exec(client, command, args);
    if (!TAKING_SCRIPTS.has(command)) return reply;
    return Promise.resolve(reply).then((raw: unknown) => {
      if (Array.isArray(raw) && Array.isArray(raw[0])) makeJobReadable(raw[0]);
      return raw;
    });
  };
  return backend;
};
