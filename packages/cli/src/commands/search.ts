import type { Argv, CommandModule } from 'yargs';
import { quietLanceDbLog } from '../lancedb-log.js';
import { importOptional } from '../optional-package.js';

interface SearchArgs {
  table: string;
  id?: number;
  image?: string;
  model?: string;
  k: number;
  exact: boolean;
  nprobes?: number;
  'refine-factor'?: number;
  json: boolean;
}

/** `vae search`: the k nearest items of an embeddings table to a stored item or to a PNG/JPEG image. */
export const searchCommand: CommandModule<object, SearchArgs> = {
  command: 'search',
  describe: 'Find the k nearest items in an embeddings table (vae embed) to a stored id or a PNG/JPEG image',
  builder: (y: Argv) =>
    y
      .option('table', { type: 'string', demandOption: true, describe: 'table path DIR/NAME[.lance]' })
      .option('id', { type: 'number', describe: 'query by the id of a stored item' })
      .option('image', {
        type: 'string',
        describe: "query by a PNG or JPEG image (resized to the table's model: short side, centre crop, its channels)",
      })
      .option('model', {
        type: 'string',
        describe: 'model directory for --image (default: the one recorded in the table)',
      })
      .option('k', { type: 'number', default: 10, describe: 'number of neighbours' })
      .option('exact', { type: 'boolean', default: false, describe: 'exact (flat) search instead of the ANN index' })
      .option('nprobes', { type: 'number', describe: 'IVF partitions probed (default 20)' })
      .option('refine-factor', {
        type: 'number',
        describe: 'candidates re-ranked with exact distances, × k (default 10)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON on stdout' })
      .check((a) => {
        if ((a.id === undefined) === (a.image === undefined))
          throw new RangeError(`--id/--image: expected exactly one, got ${a.id === undefined ? 'neither' : 'both'}`);
        if (!Number.isInteger(a.k) || a.k < 1) throw new RangeError(`--k: expected an integer ≥ 1, got ${a.k}`);
        return true;
      }) as unknown as Argv<SearchArgs>,
  handler: async (args) => {
    quietLanceDbLog();
    const { openTableSearch, embedImage, assertSameModel } = await importOptional(
      '@vae/embed',
      'vae search',
      () => import('@vae/embed'),
    );
    const search = await openTableSearch(args.table);
    try {
      let query: { id: number } | { vector: Float32Array };
      if (args.image !== undefined) {
        const { loadModel } = await import('@vae/runtime-node');
        const modelDir = args.model ?? search.meta.modelDir;
        const model = await loadModel(modelDir, { device: 'cpu', threads: 1 });
        try {
          assertSameModel(search.meta, model, args.table);
          query = { vector: await embedImage(model, args.image) };
        } finally {
          await model.release();
        }
      } else query = { id: args.id! };
      const t0 = performance.now();
      const neighbours = await search.search(query, args.k, {
        exact: args.exact,
        ...(args.nprobes === undefined ? {} : { nprobes: args.nprobes }),
        ...(args['refine-factor'] === undefined ? {} : { refineFactor: args['refine-factor'] }),
      });
      const ms = performance.now() - t0;
      if (args.json) {
        process.stdout.write(
          `${JSON.stringify({ table: args.table, k: args.k, exact: args.exact, ms, neighbours }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(
        `${neighbours.length} nearest in ${args.table} (${args.exact || !search.indexed ? 'exact' : 'ANN index'}, ${ms.toFixed(1)} ms):\n`,
      );
      for (const n of neighbours)
        process.stdout.write(`  id ${n.id}  label ${n.label}  distance² ${n.distance.toFixed(4)}\n`);
    } finally {
      search.close();
    }
  },
};
