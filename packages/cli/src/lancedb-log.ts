/**
 * LanceDB's native logger prints warnings such as "No existing dataset …, it will be created" for
 * every new table. The commands that open tables keep it to errors unless `LANCEDB_LOG` is set; it is
 * read when the native module loads, so call this before importing `@vae/embed`.
 */
export function quietLanceDbLog(): void {
  process.env.LANCEDB_LOG ??= 'error';
}
