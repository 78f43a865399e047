import type { CommandModule } from 'yargs';
import { infoCommand } from './info.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { parityCommand } from './parity.js';
import { pipelineCommand } from './pipeline.js';
import { serveCommand } from './serve.js';

/** Every CLI command, in the order `vae --help` lists them. Later issues add train, export, … here. */
export const COMMANDS: readonly CommandModule<object, never>[] = [infoCommand as CommandModule<object, never>, exportCommand as CommandModule<object, never>, trainCommand as CommandModule<object, never>, evalCommand as CommandModule<object, never>, parityCommand as CommandModule<object, never>, pipelineCommand as CommandModule<object, never>, serveCommand as CommandModule<object, never>];
