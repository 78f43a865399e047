import type { CommandModule } from 'yargs';
import { getLogger } from '@vae/core';
import { shutdownSignal } from '../shutdown-signal.js';
import { type QueueConnectionArgs, queueConnectionInput, queueConnectionOptions } from './queue-options.js';
import { importOptional } from '../optional-package.js';

const log = getLogger('vae:worker');

interface WorkerArgs extends QueueConnectionArgs {
  queue: string;
  model: string;
  concurrency: number;
  'lock-ms': number;
  threads: number;
}

/** `vae worker`: embeds chunk jobs from a BullMQ queue on Redis until stopped. */
export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Embed chunk jobs from a Redis queue (run on any number of machines beside `vae embed --queue`)',
  builder: (y) =>
    queueConnectionOptions(y, true)
      .option('model', {
        type: 'string',
        demandOption: true,
        describe: 'model directory; must be the producer model (jobs for another encoder are refused)',
      })
      .option('concurrency', { type: 'number', default: 1, describe: 'chunk jobs embedded at once' })
      .option('lock-ms', {
        type: 'number',
        default: 30_000,
        describe: "job lock in ms: a dead worker's job is taken over by another after about 1–2× this",
      })
      .option('threads', {
        type: 'number',
        default: 1,
        describe: 'onnxruntime intra-op threads (1: run one worker per core)',
      }) as never,
  handler: async (args) => {
    const [{ loadModel }, { checkRedis, redisConnection, startQueueWorker }] = await Promise.all([
      import('@vae/runtime-node'),
      importOptional('@vae/embed', 'vae worker', () => import('@vae/embed')),
    ]);
    const connection = redisConnection(queueConnectionInput(args));
    // Fail on an unreachable Redis before spending time on the model.
    await checkRedis(connection, args['connect-timeout-ms']);
    const model = await loadModel(args.model, { device: 'cpu', threads: args.threads });
    let worker: Awaited<ReturnType<typeof startQueueWorker>>;
    try {
      worker = await startQueueWorker({
        connection,
        model,
        queueName: args['queue-name'],
        concurrency: args.concurrency,
        lockMs: args['lock-ms'],
        connectTimeoutMs: args['connect-timeout-ms'],
      });
    } catch (err) {
      await model.release();
      throw err;
    }
    process.stdout.write(`worker ready on ${connection.display} (queue ${args['queue-name']})\n`);
    const signal = await shutdownSignal(() => {
      // Exits at once, also when Redis is down (BullMQ's close then waits for it): the job's lock
      // expires and another worker takes the job.
      log.info('second signal: stopping now, leaving the current job to another worker');
      process.exit(1);
    });
    log.info(`${signal}: finishing the current job (signal again to leave it to another worker)`);
    await worker.close();
    await model.release();
    process.stdout.write(`worker stopped after ${worker.completed()} chunks\n`);
  },
};
