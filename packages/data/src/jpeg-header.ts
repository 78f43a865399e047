/**
 * JPEG frame headers read before decoding (browser-safe): the SOF segment's size and components,
 * found by walking the marker segments, so that a JPEG claiming 65535×65535 pixels is refused
 * before a decoder allocates for it.
 */

/** What a JPEG's start-of-frame segment says. */
export interface JpegHeader {
  readonly width: number;
  readonly height: number;
  /** Colour components: 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  readonly components: number;
  /** Sample precision in bits (8 for baseline). */
  readonly precision: number;
  /** Progressive (SOF2, SOF6, SOF10, SOF14). */
  readonly progressive: boolean;
}

/** Whether `bytes` start with the JPEG start-of-image marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** SOF markers: C0–CF except DHT (C4), JPG (C8) and DAC (CC). */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/**
 * Reads the frame header of the JPEG in `bytes` (the file's start up to its SOF segment is
 * enough); throws an Error naming `name` when the bytes are not a JPEG or end before a frame header.
 */
export function readJpegHeader(bytes: Uint8Array, name: string): JpegHeader {
  if (!isJpeg(bytes)) throw new Error(`${name}: expected a JPEG image, got undecodable bytes (no SOI marker)`);
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff)
      throw new Error(`${name}: expected a JPEG marker at byte ${at}, got 0x${bytes[at]!.toString(16)}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (isStartOfFrame(marker)) {
      if (at + 10 > bytes.length) break;
      return {
        precision: bytes[at + 4]!,
        height: (bytes[at + 5]! << 8) | bytes[at + 6]!,
        width: (bytes[at + 7]! << 8) | bytes[at + 8]!,
        components: bytes[at + 9]!,
        progressive: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce,
      };
    }
    if (length < 2) throw new Error(`${name}: expected a JPEG segment length ≥ 2 at byte ${at + 2}, got ${length}`);
    at += 2 + length;
  }
  throw new Error(
    `${name}: expected a JPEG frame header (SOF), got none in ${bytes.length} bytes (truncated or corrupt)`,
  );
}
