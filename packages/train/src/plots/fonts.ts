import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';

/** The family every plot is set in: DejaVu Sans, shipped by `@fontsource/dejavu-sans` (no system font needed). */
export const PLOT_FONT = 'DejaVu Sans';

/** A TrueType font decoded from its WOFF file, with the advance widths plot layout needs. */
export interface PlotFont {
  /** The TrueType/OpenType bytes (what resvg loads). */
  readonly ttf: Uint8Array;
  /** The WOFF2 bytes (what `report.html` embeds for the browser). */
  readonly woff2: Uint8Array;
  /** Width of `text` at `size` px (advance widths from `hmtx`; unknown characters take the font's average). */
  width(text: string, size: number): number;
}

/**
 * The TrueType bytes of a WOFF 1.0 file (W3C WOFF spec §4–5): each table is zlib-compressed unless
 * its compressed length equals its original length; the sfnt header and directory are rebuilt with
 * 4-byte aligned tables. Throws on a file that is not WOFF.
 */
export function woffToTtf(woff: Uint8Array): Uint8Array {
  const v = new DataView(woff.buffer, woff.byteOffset, woff.byteLength);
  if (v.getUint32(0) !== 0x774f4646) throw new RangeError('font: expected a WOFF 1.0 file (signature wOFF)');
  const flavor = v.getUint32(4);
  const numTables = v.getUint16(12);
  const tables = Array.from({ length: numTables }, (_, i) => {
    const o = 44 + 20 * i;
    const offset = v.getUint32(o + 4);
    const compLength = v.getUint32(o + 8);
    const origLength = v.getUint32(o + 12);
    const raw = woff.subarray(offset, offset + compLength);
    const data = compLength < origLength ? new Uint8Array(inflateSync(raw)) : raw;
    if (data.length !== origLength)
      throw new RangeError(`font: table ${i} inflated to ${data.length}, expected ${origLength}`);
    return { tag: v.getUint32(o), checksum: v.getUint32(o + 16), data };
  });
  const headerSize = 12 + 16 * numTables;
  const size = tables.reduce((s, t) => s + ((t.data.length + 3) & ~3), headerSize);
  const out = new Uint8Array(size);
  const w = new DataView(out.buffer);
  let p = 1;
  while (p * 2 <= numTables) p *= 2;
  w.setUint32(0, flavor);
  w.setUint16(4, numTables);
  w.setUint16(6, p * 16);
  w.setUint16(8, Math.log2(p));
  w.setUint16(10, numTables * 16 - p * 16);
  let at = headerSize;
  tables.forEach((t, i) => {
    const o = 12 + 16 * i;
    w.setUint32(o, t.tag);
    w.setUint32(o + 4, t.checksum);
    w.setUint32(o + 8, at);
    w.setUint32(o + 12, t.data.length);
    out.set(t.data, at);
    at += (t.data.length + 3) & ~3;
  });
  return out;
}

/** Offsets of the sfnt tables by tag. */
function tableOffsets(v: DataView): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < v.getUint16(4); i++) {
    const o = 12 + 16 * i;
    const tag = String.fromCharCode(v.getUint8(o), v.getUint8(o + 1), v.getUint8(o + 2), v.getUint8(o + 3));
    map.set(tag, v.getUint32(o + 8));
  }
  return map;
}

/** Code point → glyph index from the font's Unicode BMP `cmap` subtable (format 4). */
function readCmap(v: DataView, cmap: number): Map<number, number> {
  const glyphs = new Map<number, number>();
  const count = v.getUint16(cmap + 2);
  for (let i = 0; i < count; i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = v.getUint16(rec);
    const encoding = v.getUint16(rec + 2);
    const sub = cmap + v.getUint32(rec + 4);
    if (!(platform === 3 && encoding === 1) || v.getUint16(sub) !== 4) continue;
    const segs = v.getUint16(sub + 6) / 2;
    const ends = sub + 14;
    const starts = ends + 2 * segs + 2;
    const deltas = starts + 2 * segs;
    const ranges = deltas + 2 * segs;
    for (let s = 0; s < segs; s++) {
      const start = v.getUint16(starts + 2 * s);
      const end = v.getUint16(ends + 2 * s);
      const delta = v.getInt16(deltas + 2 * s);
      const range = v.getUint16(ranges + 2 * s);
      for (let c = start; c <= end && c !== 0xffff; c++) {
        let g: number;
        if (range === 0) g = (c + delta) & 0xffff;
        else {
          g = v.getUint16(ranges + 2 * s + range + 2 * (c - start));
          if (g !== 0) g = (g + delta) & 0xffff;
        }
        if (g !== 0) glyphs.set(c, g);
      }
    }
    return glyphs;
  }
  throw new RangeError('font: expected a Windows Unicode BMP cmap subtable (3, 1, format 4), found none');
}

/** Advance width in em per code point, from `head`, `hhea`, `hmtx` and `cmap`. */
function advanceWidths(ttf: Uint8Array): { widths: Map<number, number>; average: number } {
  const v = new DataView(ttf.buffer, ttf.byteOffset, ttf.byteLength);
  const t = tableOffsets(v);
  const need = (tag: string): number => {
    const o = t.get(tag);
    if (o === undefined) throw new RangeError(`font: expected a ${tag} table, found none`);
    return o;
  };
  const unitsPerEm = v.getUint16(need('head') + 18);
  const metrics = v.getUint16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const widths = new Map<number, number>();
  let sum = 0;
  for (const [code, glyph] of readCmap(v, need('cmap'))) {
    const w = v.getUint16(hmtx + 4 * Math.min(glyph, metrics - 1)) / unitsPerEm;
    widths.set(code, w);
    sum += w;
  }
  return { widths, average: sum / Math.max(1, widths.size) };
}

const fonts = new Map<string, Promise<PlotFont>>();

/**
 * DejaVu Sans at `weight` 400 or 700, read from `@fontsource/dejavu-sans` once per process. The
 * package ships WOFF/WOFF2 only; resvg loads TrueType, so the WOFF is inflated to TrueType in memory.
 */
export function plotFont(weight: 400 | 700 = 400): Promise<PlotFont> {
  const key = String(weight);
  let font = fonts.get(key);
  if (!font) {
    font = (async () => {
      const require = createRequire(import.meta.url);
      const file = (ext: string): string =>
        require.resolve(`@fontsource/dejavu-sans/files/dejavu-sans-latin-${weight}-normal.${ext}`);
      const [woff, woff2] = await Promise.all([readFile(file('woff')), readFile(file('woff2'))]);
      const ttf = woffToTtf(woff);
      const { widths, average } = advanceWidths(ttf);
      return {
        ttf,
        woff2,
        width: (text: string, size: number): number => {
          let em = 0;
          for (const ch of text) em += widths.get(ch.codePointAt(0)!) ?? average;
          return em * size;
        },
      };
    })();
    fonts.set(key, font);
  }
  return font;
}
