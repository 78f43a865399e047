import type { CommandModule } from 'yargs';
import { disentanglementCommand } from './disentanglement.js';
import { embedCommand } from './embed.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { infoCommand } from './info.js';
import { latentCommand } from './latent.js';
import { parityCommand } from './parity.js';
import { pipelineCommand } from './pipeline.js';
import { searchCommand } from './search.js';
import { serveCommand } from './serve.js';
import { trainCommand } from './train.js';
import { workerCommand } from './worker.js';

type AnyCommand = CommandModule<object, never>;

/** Every CLI command, in the order `vae --help` lists them (the order of the workflow). */
export const COMMANDS: readonly AnyCommand[] = [
  pipelineCommand,
  trainCommand,
  evalCommand,
  latentCommand,
  disentanglementCommand,
  exportCommand,
  parityCommand,
  serveCommand,
  embedCommand,
  searchCommand,
  workerCommand,
  infoCommand,
] as unknown as AnyCommand[];
