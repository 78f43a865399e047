import type { CommandModule } from 'yargs';
import { infoCommand } from './info.js';

/** Every CLI command, in the order `vae --help` lists them. Later issues add train, export, … here. */
export const COMMANDS: readonly CommandModule<object, never>[] = [infoCommand as CommandModule<object, never>];
