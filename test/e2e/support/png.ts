/**
 * Deterministic, valid PNG images for the fixture site (PNG spec: signature, IHDR, IDAT of
 * zlib-deflated filtered scanlines, IEND; each chunk CRC-32 checked). Pixels come from a seeded
 * generator, so every image is distinct and the same on every run.
 */
import { deflateSync } from 'node:zlib';
import { bytesOf } from '../../support/cli.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// CRC-32 (ISO 3309, the polynomial PNG uses); zlib.crc32 only exists from Node 20.15.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * An RGB PNG of `width`×`height`: a gradient with seeded noise. `level` 0 stores the pixels
 * uncompressed, which makes an image as large as its pixels (for multi-chunk files).
 */
export function makePng(width: number, height: number, seed: number, level = 6): Buffer {
  const noise = bytesOf(width * height, seed);
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    rows[row] = 0; // filter type None
    for (let x = 0; x < width; x++) {
      const p = row + 1 + x * 3;
      const n = noise[y * width + x]!;
      rows[p] = (x * 255) / width;
      rows[p + 1] = (y * 255) / height;
      rows[p + 2] = n;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour
  // [10..12] compression, filter, interlace: all 0
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level })), chunk('IEND', Buffer.alloc(0))]);
}
