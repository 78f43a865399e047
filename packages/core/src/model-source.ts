/**
 * Where a model directory's files come from: the file system (`nodeFileSource` in
 * `@vae/runtime-node`), HTTP (`@vae/runtime-web`) or memory ({@link memoryFileSource}).
 */
export interface ModelFileSource {
  /** Human-readable location for messages, e.g. a directory path or a base URL. */
  readonly location: string;
  /** The bytes of `file` (a name relative to the model directory, e.g. `manifest.json`). */
  read(file: string): Promise<Uint8Array>;
}

/** Error thrown by a {@link ModelFileSource} when a file does not exist. */
export class ModelFileNotFoundError extends Error {
  override readonly name = 'ModelFileNotFoundError';
  constructor(
    readonly location: string,
    readonly file: string,
  ) {
    super(`${location}: model file ${JSON.stringify(file)} not found`);
  }
}

/**
 * Throws a `RangeError` unless `file` is a plain relative name inside the model directory
 * (no absolute paths, no `..`, no backslashes), so sources never read outside it.
 */
export function assertModelFileName(file: unknown, name = 'file'): asserts file is string {
  if (
    typeof file !== 'string' ||
    file.length === 0 ||
    file.startsWith('/') ||
    file.includes('\\') ||
    file.split('/').some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw new RangeError(
      `${name}: expected a relative file name inside the model directory, got ${JSON.stringify(file)}`,
    );
  }
}

/** A source over in-memory files (tests, bundles, files picked in a browser). */
export function memoryFileSource(files: Readonly<Record<string, Uint8Array>>, location = 'memory'): ModelFileSource {
  return {
    location,
    read: async (file) => {
      assertModelFileName(file);
      const bytes = Object.hasOwn(files, file) ? files[file] : undefined;
      if (!bytes) throw new ModelFileNotFoundError(location, file);
      return bytes;
    },
  };
}
