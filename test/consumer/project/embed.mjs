// Bulk embedding and search from the packed @vae/embed (plain node, dist only): the worker thread
// that prepares chunks starts from dist, LanceDB loads its native binding from the consumer's install.
import { embedToTable, exportParquet, loadCorpus, openTableSearch } from '@vae/embed';
import { loadModel } from '@vae/runtime-node';

const model = await loadModel('models/mnist-vae', { device: 'cpu' });
const corpus = await loadCorpus({ dataset: 'mnist', split: 'test', limit: 300 });
const result = await embedToTable(model, corpus, {
  modelDir: 'models/mnist-vae',
  out: 'emb/test300.lance',
  chunkSize: 100,
  index: 'none',
});
await model.release();
const parquet = await exportParquet('emb/test300.lance', 'emb/test300.parquet');
const search = await openTableSearch('emb/test300.lance');
const neighbours = await search.search({ id: 5 }, 3);
search.close();
console.log(JSON.stringify({ rows: result.rows, written: result.written, parquetRows: parquet.rows, neighbours }));
