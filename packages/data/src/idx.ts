/**
 * Parsing of IDX files (the MNIST container format): a big-endian header `0x00 0x00 <type> <ndim>`,
 * then `ndim` big-endian uint32 dimensions, then the data. Only unsigned bytes (type 0x08) are used
 * by the image datasets this package reads.
 */

/** A parsed IDX array of unsigned bytes. */
export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/** What an IDX header says: the dimensions, the header's length and the data's (the product of the dimensions). */
export interface IdxHeader {
  readonly dims: readonly number[];
  readonly headerBytes: number;
  readonly dataBytes: number;
}

/**
 * Reads the IDX header at the start of `bytes` (a prefix of the file is enough) without touching
 * the data: returns null while `bytes` is too short to hold the whole header, else the dimensions
 * and sizes. Throws an Error naming `file` for a bad magic, data type or rank.
 */
export function parseIdxHeader(
  bytes: Uint8Array,
  file: string,
  expectedRank: number | readonly number[],
): IdxHeader | null {
  if (bytes.length < 4) return null;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `${file}: not an IDX file (magic starts with 0x${hex(bytes[0]!)}${hex(bytes[1]!)}, expected 0x0000)`,
    );
  }
  if (bytes[2] !== 0x08)
    throw new Error(`${file}: expected IDX data type 0x08 (unsigned byte), got 0x${hex(bytes[2]!)}`);
  const rank = bytes[3]!;
  const ranks = typeof expectedRank === 'number' ? [expectedRank] : expectedRank;
  if (!ranks.includes(rank))
    throw new Error(`${file}: expected an IDX array of rank ${ranks.join(' or ')}, got rank ${rank}`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  return { dims, headerBytes, dataBytes: dims.reduce((a, b) => a * b, 1) };
}

/** The IDX header of an unsigned-byte array with dimensions `dims` (what {@link parseIdxHeader} reads). */
export function idxHeaderBytes(dims: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length);
  bytes[2] = 0x08;
  bytes[3] = dims.length;
  const view = new DataView(bytes.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return bytes;
}

/**
 * Parses `bytes` (already gunzipped) as an IDX ubyte array with `expectedRank` dimensions (or one of several ranks).
 * Throws an Error naming `file` and what is wrong (bad magic, wrong rank, truncated data).
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank: number | readonly number[]): IdxArray {
  if (bytes.length < 4) throw new Error(`${file}: truncated IDX file (${bytes.length} bytes, no header)`);
  const header = parseIdxHeader(bytes, file, expectedRank);
  if (!header) throw new Error(`${file}: truncated IDX header (${bytes.length} of ${4 + 4 * bytes[3]!} bytes)`);
  const { dims, headerBytes, dataBytes } = header;
  const available = bytes.length - headerBytes;
  if (available < dataBytes) {
    throw new Error(
      `${file}: truncated IDX data: header says [${dims.join(', ')}] = ${dataBytes} bytes, file has ${available}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes, headerBytes + dataBytes) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
