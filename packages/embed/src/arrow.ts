import { createRequire } from 'node:module';

/**
 * apache-arrow as @lancedb/lancedb sees it. LanceDB is CommonJS and checks `instanceof Table`
 * against the CommonJS build; an ESM `import` loads the other build, whose tables LanceDB then
 * rejects ("Table and inner RecordBatch schemas must be equivalent"). Loading it through `require`
 * shares LanceDB's copy.
 */
export const arrow = createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow');
