import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { convertChannels, fitImage, readJpegHeader, readPngHeader } from '../src/index.js';
import { decodeAndFit, decodeImage } from '../src/node/index.js';
import { decodeJpegTurbo, jpegScale } from '../src/node/jpeg-turbo.js';
import { decodePngFast } from '../src/node/png-fast.js';

/** Raw pixels with detail (a gradient, a disc and noise), `channels` per pixel (alpha varies). */
function pixels(w: number, h: number, channels: number, seed: number): Buffer {
  const out = Buffer.alloc(w * h * channels);
  let s = seed;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const inside = (x - w / 2) ** 2 + (y - h / 3) ** 2 < (w * w) / 16;
      for (let c = 0; c < channels; c++) {
        s = (s * 1664525 + 1013904223) >>> 0;
        const base = inside ? 40 + 60 * c : (x * 5 + y * 3 + c * 70) % 256;
        out[(y * w + x) * channels + c] = Math.min(255, base + (s >>> 28));
      }
    }
  return out;
}

const mean = (a: Uint8Array, b: Uint8Array): number => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;

describe('fast PNG path (zlib + unfilter)', () => {
  it('decodes 8-bit grey, grey + alpha, RGB and RGBA with every filter exactly as pngjs does', () => {
    for (const [colorType, channels] of [
      [0, 1],
      [4, 2],
      [2, 3],
      [6, 4],
    ] as const) {
      const raw = pixels(37, 23, channels, colorType);
      const png = new PNG({ width: 37, height: 23, colorType, inputColorType: colorType, bitDepth: 8 });
      png.data = raw;
      const bytes = PNG.sync.write(png, { colorType, inputColorType: colorType, filterType: -1 }); // all five filters
      const header = readPngHeader(bytes, 'a.png');
      expect(header.channels).toBe(channels);
      const fast = decodePngFast(bytes, 'a.png', header)!;
      expect(fast.channels).toBe(channels);
      expect(Buffer.from(fast.pixels)).toEqual(raw);
      const viaPngjs = { width: 37, height: 23, channels: 4, pixels: new Uint8Array(PNG.sync.read(bytes).data) };
      for (const c of [1, 3] as const) expect(convertChannels(fast, c)).toEqual(convertChannels(viaPngjs, c));
    }
  });

  it('leaves palette, 16-bit and interlaced PNGs to pngjs, and names a file with a bad CRC', async () => {
    const raw = pixels(16, 16, 3, 1);
    const img = () => sharp(raw, { raw: { width: 16, height: 16, channels: 3 } });
    for (const bytes of [
      await img().png({ palette: true }).toBuffer(),
      await img().png({ progressive: true }).toBuffer(),
      await img().toColourspace('rgb16').png().toBuffer(),
    ])
      expect(decodePngFast(bytes, 'b.png', readPngHeader(bytes, 'b.png'))).toBeNull();
    const png = new PNG({ width: 4, height: 4 });
    png.data = Buffer.alloc(64, 200);
    const bad = Buffer.from(PNG.sync.write(png));
    bad[bad.indexOf('IDAT') + 6]! ^= 0xff;
    expect(() => decodeImage(bad, 'bad.png')).toThrow(
      /bad\.png: expected a PNG image, got undecodable bytes \(bad CRC in the IDAT chunk\)/,
    );
  });
});

describe('libjpeg-turbo (WebAssembly)', () => {
  it('decodes colour and grey JPEGs like jpeg-js, leaves CMYK to it, and recovers from a corrupt file', async () => {
    const raw = pixels(48, 40, 3, 7);
    const rgba = Buffer.alloc(48 * 40 * 4, 255);
    for (let i = 0; i < 48 * 40; i++) raw.copy(rgba, 4 * i, 3 * i, 3 * i + 3);
    const colour = Buffer.from(jpeg.encode({ width: 48, height: 40, data: rgba }, 90).data);
    const turbo = decodeJpegTurbo(colour, 'c.jpg', readJpegHeader(colour, 'c.jpg'))!;
    const js = jpeg.decode(colour, { useTArray: true, formatAsRGBA: false });
    expect([turbo.width, turbo.height, turbo.channels]).toEqual([48, 40, 3]);
    expect(mean(turbo.pixels, js.data)).toBeLessThan(1); // two IDCTs, the same image
    const grey = await sharp(pixels(30, 20, 1, 3), { raw: { width: 30, height: 20, channels: 1 } })
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();
    expect(readJpegHeader(grey, 'g.jpg').components).toBe(1);
    expect(decodeImage(grey, 'g.jpg')).toMatchObject({ width: 30, height: 20, channels: 1 });
    const cmyk = await sharp(raw, { raw: { width: 48, height: 40, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect(decodeJpegTurbo(cmyk, 'k.jpg', readJpegHeader(cmyk, 'k.jpg'))).toBeNull();
    expect(decodeImage(cmyk, 'k.jpg')).toMatchObject({ width: 48, height: 40 });
    for (const cut of [0.5, 0.95])
      expect(() => decodeImage(colour.subarray(0, Math.floor(colour.length * cut)), 'cut.jpg')).toThrow(
        /cut\.jpg: expected a JPEG image, got undecodable bytes \(libjpeg-turbo/,
      );
    const garbled = Buffer.from(colour);
    garbled[garbled.indexOf(Buffer.from([0xff, 0xc4])) + 4] = 0x55; // a Huffman table of class 5: libjpeg's error exit
    expect(() => decodeImage(garbled, 'garbled.jpg')).toThrow(
      /garbled\.jpg: expected a JPEG image, got undecodable bytes \(libjpeg-turbo: corrupt data \(error exit\)\)/,
    );
    expect(decodeImage(colour, 'c.jpg').pixels).toEqual(turbo.pixels);
  });

  it('scales a reduced JPEG by n/8 in the DCT domain, still covering the output, close to a full decode', async () => {
    const raw = pixels(400, 300, 3, 11);
    const bytes = await sharp(raw, { raw: { width: 400, height: 300, channels: 3 } })
      .jpeg({ quality: 92 })
      .toBuffer();
    expect(jpegScale({ width: 400, height: 300 }, [64, 64])).toBe(2); // 100×75 covers 64×64
    expect(jpegScale({ width: 100, height: 100 }, [64, 64])).toBe(6);
    expect(jpegScale({ width: 50, height: 50 }, [64, 64])).toBe(8);
    const scaled = decodeImage(bytes, 'p.jpg', {}, [64, 64]);
    expect([scaled.width, scaled.height]).toEqual([100, 75]);
    const fit = { size: 64, channels: 3 } as const;
    expect(mean(fitImage(scaled, fit), fitImage(decodeImage(bytes, 'p.jpg'), fit))).toBeLessThan(3);
    // One file fitted on its own (vae search --image) is the folder cache's row.
    expect(decodeAndFit(bytes, 'p.jpg', fit).pixels).toEqual(fitImage(scaled, fit));
  });
});
