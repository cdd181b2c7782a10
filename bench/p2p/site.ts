/**
 * The bench's temp site: two 32 MiB assets (one to warm the connection up, one timed for
 * throughput), sixteen files of 64–512 KiB (one to open
 * the connection, fifteen timed for the first P2P byte), one 16 MiB file per many-sources round,
 * a swarm page for visitors A and B, a seeder page for the many-sources row, and a
 * page with a realistic set of assets (stylesheet, two scripts, ten images) for the page-load
 * comparison, and the ideal relay's page and SW (bench/p2p/ideal-relay.ts). Bytes come from a seeded generator so every run serves the same site.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { encodePng } from '../../scripts/lib/png.mjs';
import { RELAY_PAGE, RELAY_PAGE_HTML, RELAY_SW, RELAY_SW_SCRIPT } from './ideal-relay.js';

/** A file the bench fetches, with what its bytes must hash to. */
export interface BenchFile {
  readonly url: string;
  readonly size: number;
  /** Base64 SHA-256 of the bytes (the manifest's integrity without the `sha256-` prefix). */
  readonly sha256: string;
}

/** What writeBenchSite wrote. */
export interface BenchSite {
  readonly dir: string;
  /** The page A and B run the swarm in. */
  readonly swarmPage: string;
  /** The page the many-sources seeders run the swarm in: uploads capped, every file loaded from the origin. */
  readonly seederPage: string;
  /** One file per many-sources round (bench/p2p/many-sources.ts). */
  readonly sources: readonly BenchFile[];
  readonly big: BenchFile;
  /** As large as `big`, other bytes: carried first, untimed, to bring B's connection to A up to speed. */
  readonly warm: BenchFile;
  readonly small: readonly BenchFile[];
  /** The realistic page, and how many subresources it loads. */
  readonly loadPage: { readonly url: string; readonly subresources: number; readonly bytes: number };
}

const MiB = 1024 * 1024;
const KiB = 1024;
/** 32 MiB: long enough (about a second at loopback data-channel speed) that set-up costs vanish. */
export const BIG_BYTES = 32 * MiB;
/** 16 MiB: seconds from one capped seeder, long enough that set-up is a small part of it. */
export const SOURCES_BYTES = 16 * MiB;
/** One warm-up file and fifteen timed ones. */
export const SMALL_FILES = 16;

/** xorshift32 words: fast enough to fill 32 MiB in well under a second, and seeded. */
function randomBytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  const words = new Uint32Array(out.buffer, out.byteOffset, size >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

/** A valid RGB PNG of noise over a gradient: decodes like a photo, weighs like one. */
function photoPng(width: number, height: number, seed: number): Buffer {
  const noise = randomBytes(width * height * 3, seed);
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (((i % (width * 3)) * 255) / (width * 3) + (noise[i]! & 63)) & 255;
  return encodePng(width, height, rgb);
}

/** Valid JavaScript of about `size` bytes: a data table the page keeps (so it is parsed and run). */
function scriptOf(size: number, seed: number): string {
  const bytes = randomBytes(size, seed);
  const rows: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const row = `[${Array.from(bytes.subarray((i * 16) % (size - 16), ((i * 16) % (size - 16)) + 16)).join(',')}]`;
    rows.push(row);
    length += row.length + 1;
  }
  return `(window.benchTables = window.benchTables || []).push([\n${rows.join(',\n')}\n]);\n`;
}

/** A stylesheet of about `size` bytes of distinct rules. */
function stylesheetOf(size: number): string {
  const rules: string[] = ['body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; }'];
  for (let i = 0, length = 0; length < size; i++) {
    const rule = `.c${i} { color: #${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}; margin: ${i % 7}px ${i % 5}px; }`;
    rules.push(rule);
    length += rule.length + 1;
  }
  return rules.join('\n') + '\n';
}

function write(dir: string, url: string, bytes: Buffer | string): BenchFile {
  const path = join(dir, ...url.split('/').filter(Boolean));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return { url, size: buffer.length, sha256: createHash('sha256').update(buffer).digest('base64') };
}

/**
 * The page A and B open: the bridge with no ICE servers (loopback only), nothing else. This bench
 * measures the peer path itself, so prefetch is off (it would turn the timed fetch into a cache
 * read), the hedge has a fixed 2 s budget and the rate hedge is off (against a loopback origin both
 * would hand the file to the origin, which is right for a page and wrong for a throughput row).
 */
const SWARM_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>swarmcdn bench</title><link rel="icon" href="data:,"></head>
<body><p>swarmcdn bench visitor</p><script src="/swarmcdn/bridge.js" data-ice-servers="[]" data-prefetch-bytes="0" data-hedge-ms="2000" data-rate-hedge="false"></script></body></html>
`;

/**
 * The seeders' page (bench/p2p/many-sources.ts): the swarm page's settings, each upload capped at
 * `uploadBytesPerSecond`, and a size threshold no file reaches, so a seeder loads every file from
 * the origin (never from another seeder) and is a holder of exactly what it was given.
 */
function seederPage(uploadBytesPerSecond: number): string {
  return SWARM_PAGE.replace('data-rate-hedge="false"', `data-rate-hedge="false" data-min-peer-bytes="${Number.MAX_SAFE_INTEGER}" data-upload-bytes-per-second="${uploadBytesPerSecond}"`);
}

/**
 * Writes the whole site into `dir`: `sourceRounds` files for the many-sources row, its seeders capped at `seederUploadBytesPerSecond`. The load page's assets carry: the SW
 * answers only requests whose credentials mode is not 'include' (sw/route-match.ts), and a plain
 * element's request is 'include'; 'anonymous' makes it 'same-origin', as fetch() is by default.
 */
export function writeBenchSite(dir: string, seed: number, sourceRounds: number, seederUploadBytesPerSecond: number): BenchSite {
  write(dir, '/index.html', SWARM_PAGE);
  write(dir, '/seeder.html', seederPage(seederUploadBytesPerSecond));
  const sources = Array.from({ length: sourceRounds }, (_, i) => write(dir, `/files/sources-${i + 1}.bin`, randomBytes(SOURCES_BYTES, seed + 300 + i)));
  write(dir, RELAY_PAGE, RELAY_PAGE_HTML);
  write(dir, RELAY_SW, RELAY_SW_SCRIPT);
  const big = write(dir, '/files/big.bin', randomBytes(BIG_BYTES, seed));
  const warm = write(dir, '/files/warm.bin', randomBytes(BIG_BYTES, seed + 50));
  const small = Array.from({ length: SMALL_FILES }, (_, i) => {
    // 64–512 KiB in steps: one to two chunks, like images and scripts.
    const size = 64 * KiB + ((i * 7) % 8) * 64 * KiB + i * 97;
    return write(dir, `/files/small-${String(i).padStart(2, '0')}.bin`, randomBytes(size, seed + 1 + i));
  });

  const assets = [
    write(dir, '/page/css/app.css', stylesheetOf(60 * KiB)),
    write(dir, '/page/js/vendor.js', scriptOf(280 * KiB, seed + 100)),
    write(dir, '/page/js/app.js', scriptOf(90 * KiB, seed + 101)),
    ...Array.from({ length: 10 }, (_, i) => write(dir, `/page/img/photo-${i + 1}.png`, photoPng(160 + i * 24, 100 + i * 15, seed + 200 + i))),
  ];
  const images = assets.filter((a) => a.url.endsWith('.png'));
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>swarmcdn bench page</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/page/css/app.css">
<script src="/page/js/vendor.js"></script>
</head><body>
<h1>A page with a realistic set of assets</h1>
${images.map((img, i) => `<figure class="c${i}"><img src="${img.url}" alt="photo ${i + 1}"><figcaption>photo ${i + 1}</figcaption></figure>`).join('\n')}
<script src="/swarmcdn/bridge.js" data-ice-servers="[]"></script>
<script src="/page/js/app.js"></script>
</body></html>
`;
  const page = write(dir, '/page/index.html', html);
  return {
    dir,
    swarmPage: '/index.html',
    seederPage: '/seeder.html',
    sources,
    big,
    warm,
    small,
    loadPage: { url: page.url, subresources: assets.length, bytes: page.size + assets.reduce((s, a) => s + a.size, 0) },
  };
}
