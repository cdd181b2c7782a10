/**
 * The shared PNG encoder (scripts/lib/png.mjs) and seeded PRNG (scripts/lib/seeded-random.mjs)
 * that the e2e fixtures, benches and demo all draw their images and sizes from: the PNG is read
 * back chunk by chunk (CRC checked bit by bit here, not with the encoder's table; pixels inflated and compared), and the
 * PRNG repeats itself for a seed and only for that seed.
 */
import { describe, expect, it } from '@jest/globals';
import { inflateSync } from 'node:zlib';
import { encodePng } from '../../../scripts/lib/png.mjs';
import { seededRandom } from '../../../scripts/lib/seeded-random.mjs';

/** CRC-32 (reflected, polynomial 0xEDB88320) one bit at a time: slow, and independent of the encoder's table. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface PngChunk {
  readonly type: string;
  readonly data: Buffer;
  readonly crcOk: boolean;
}

/** Splits a PNG after its signature into chunks, checking each CRC independently of the encoder. */
function readChunks(png: Buffer): PngChunk[] {
  const chunks: PngChunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    const crcOk = png.readUInt32BE(at + 8 + length) === crc32(png.subarray(at + 4, at + 8 + length));
    chunks.push({ type, data, crcOk });
    at += 12 + length;
  }
  return chunks;
}

function pixels(width: number, height: number, seed: number): Buffer {
  const random = seededRandom(seed);
  return Buffer.from(Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)));
}

describe('encodePng', () => {
  it.each([
    [1, 1, 6],
    [7, 3, 0],
    [33, 20, 9],
  ])('writes a %i×%i RGB image (level %i) that reads back to its pixels', (width, height, level) => {
    const rgb = pixels(width, height, width * 31 + height);
    const png = encodePng(width, height, rgb, level);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const chunks = readChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(chunks.every((c) => c.crcOk)).toBe(true);
    const ihdr = chunks[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ...ihdr.subarray(8)]).toEqual([width, height, 8, 2, 0, 0, 0]);
    const raw = inflateSync(chunks[1]!.data);
    const stride = width * 3;
    expect(raw.length).toBe((stride + 1) * height);
    for (let y = 0; y < height; y++) {
      expect(raw[y * (stride + 1)]).toBe(0);
      expect(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)).equals(rgb.subarray(y * stride, (y + 1) * stride))).toBe(true);
    }
    expect(chunks[2]!.data.length).toBe(0);
  });

  it('stores the pixels uncompressed at level 0 (an image as large as its pixels)', () => {
    const rgb = pixels(64, 64, 5);
    expect(encodePng(64, 64, rgb, 0).length).toBeGreaterThan(rgb.length);
    expect(encodePng(64, 64, Buffer.alloc(rgb.length), 6).length).toBeLessThan(rgb.length / 10);
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed, differs across seeds, and stays in [0, 1)', () => {
    const draw = (seed: number): number[] => {
      const random = seededRandom(seed);
      return Array.from({ length: 1000 }, () => random());
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    // Spread over the interval, not stuck: every tenth of it is hit.
    expect(new Set(a.map((x) => Math.floor(x * 10))).size).toBe(10);
  });
});
