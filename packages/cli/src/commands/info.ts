import type { CommandModule } from 'yargs';
import { createModelSpec, listModelKinds, listParameters, modelKindInfo, type ModelKind } from '@vae/core';

interface InfoArgs {
  kind: ModelKind;
  json: boolean;
}

/** `vae info`: prints the model kinds and the parameter list of a default spec. */
export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info',
  describe: 'List the model kinds and show the default spec of one',
  builder: (y) =>
    y
      .option('kind', {
        choices: listModelKinds() as ModelKind[],
        default: 'vae' as ModelKind,
        describe: 'model kind to describe',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the spec as JSON' }) as never,
  handler: (args) => {
    const spec = createModelSpec({ kind: args.kind });
    if (args.json) {
      process.stdout.write(`${JSON.stringify(spec, null, 2)}\n`);
      return;
    }
    process.stdout.write('Model kinds:\n');
    for (const name of listModelKinds())
      process.stdout.write(`  ${name.padEnd(16)} ${modelKindInfo(name).description}\n`);
    const params = listParameters(spec);
    const count = params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    process.stdout.write(
      `\nDefault ${args.kind}: ${params.length} tensors, ${count.toLocaleString('en-US')} parameters\n`,
    );
    for (const p of params) process.stdout.write(`  ${p.name.padEnd(24)} [${p.shape.join(', ')}]\n`);
  },
};
