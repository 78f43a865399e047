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

/**
 * Parses `bytes` (already gunzipped) as an IDX ubyte array with `expectedRank` dimensions.
 * Throws an Error naming `file` and what is wrong (bad magic, wrong rank, truncated data).
 */
export function parseIdx(bytes: Uint8Array, file: string, expectedRank: number): IdxArray {
  if (bytes.length < 4) throw new Error(`${file}: truncated IDX file (${bytes.length} bytes, no header)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `${file}: not an IDX file (magic starts with 0x${hex(bytes[0]!)}${hex(bytes[1]!)}, expected 0x0000)`,
    );
  }
  if (bytes[2] !== 0x08)
    throw new Error(`${file}: expected IDX data type 0x08 (unsigned byte), got 0x${hex(bytes[2]!)}`);
  const rank = bytes[3]!;
  if (rank !== expectedRank)
    throw new Error(`${file}: expected an IDX array of rank ${expectedRank}, got rank ${rank}`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes)
    throw new Error(`${file}: truncated IDX header (${bytes.length} of ${headerBytes} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerBytes;
  if (available < size) {
    throw new Error(
      `${file}: truncated IDX data: header says [${dims.join(', ')}] = ${size} bytes, file has ${available}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes, headerBytes + size) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
