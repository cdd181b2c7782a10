/**
 * The fixture site every end-to-end test serves: an index.html that starts the swarm with options
 * from the URL hash, a few PNGs, a ~3 MiB file, optionally a large one, and a file the origin
 * serves but the manifest leaves out. The manifest is built and signed with the real CLI and a
 * fresh key; `publish()` signs the next version the same way (the server reloads the file).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBase64, parseManifest, type Manifest, type ManifestFile } from '../../../protocol/index.js';
import { TempDirs, assertCliBuilt, bytesOf, keygen, swarmcdnJson, writeTree, type KeyFiles } from '../../support/cli.js';
import { makePng } from './png.js';
import { makeWav } from './wav.js';

/**
 * The page: loads the bridge without its automatic start (`data-manual`) and starts the swarm with
 * `{ iceServers: [], minPeerBytes: 0, prefetchBytes: 0, hedgeMs: 2000, rateHedge: false }` plus whatever JSON the test put in the hash
 * (stallMs, uploadBytesPerSecond…): these tests prove the peer path itself on small files, one fetch
 * at a time, so the size threshold, prefetch and the measured hedges (on loopback the origin is
 * always faster than a peer, so they would hand it every file) are off unless a test turns them on
 * (test/e2e/real-site*.test.ts run the defaults);
 * the bridge then exposes the Swarm as `swarmcdn.swarm`. A failing startSwarm (CONFIG_INVALID for
 * a bad hash option, or no bridge at all) is recorded for `Visitor.ready`, not thrown.
 */
export const INDEX_HTML = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>swarmcdn e2e</title><link rel="icon" href="data:,"></head>
<body>
<h1>swarmcdn e2e</h1>
<script src="/swarmcdn/bridge.js" data-manual></script>
<script>
  window.swarmcdnE2e = { startError: undefined };
  try {
    swarmcdn.startSwarm(Object.assign({ iceServers: [], minPeerBytes: 0, prefetchBytes: 0, hedgeMs: 2000, rateHedge: false }, JSON.parse(decodeURIComponent(location.hash.slice(1) || '%7B%7D'))));
  } catch (error) {
    swarmcdnE2e.startError = String(error && error.code ? error.code + ': ' + error.message : error);
  }
</script>
</body>
</html>
`;

/** The manifest paths of the fixture site. */
export const PATHS = Object.freeze({
  index: '/index.html',
  images: ['/img/dot.png', '/img/stripe.png', '/img/tile.png', '/img/photo.png'] as const,
  /** ~3 MiB: a dozen chunks. */
  medium: '/data/medium.bin',
  /** Only in sites made with `large: true`. */
  large: '/data/large.bin',
  /** Served by the origin, left out of the manifest (`--exclude`). */
  outside: '/private/notes.txt',
  /** Only in sites made with `media: true`: a WAV an <audio> element loads with Range requests. */
  media: '/media/noise.wav',
});

/** Pixel sizes of the fixture PNGs, by path. */
export const IMAGE_SIZES: Readonly<Record<(typeof PATHS.images)[number], { readonly width: number; readonly height: number }>> = Object.freeze({
  '/img/dot.png': { width: 16, height: 16 },
  '/img/stripe.png': { width: 120, height: 40 },
  '/img/tile.png': { width: 200, height: 200 },
  '/img/photo.png': { width: 400, height: 400 },
});

/**
 * Duration of the media file, s: 80 s of 16-bit 22.05 kHz mono is ~3.4 MiB, 14 chunks — more than
 * the SW reads ahead for one response (8 chunks), so a seek near the end needs a request of its own.
 */
export const MEDIA_SECONDS = 80;

/** 24 MiB: long enough that a throttled transfer takes seconds, short enough for a 2-core box. */
export const LARGE_BYTES = 24 * 1024 * 1024;
const MEDIUM_BYTES = 3 * 1024 * 1024 + 12_345;

/** One file of the site as written to disk. */
export interface SiteFile {
  readonly path: string;
  readonly size: number;
  /** Lowercase hex SHA-256 of the whole file. */
  readonly sha256: string;
}

/** What `makeSite` wrote, and how to sign a new manifest version. */
export interface E2eSite {
  readonly dir: string;
  readonly keys: KeyFiles;
  /** Every file of the manifest, by URL path (index.html included). */
  readonly files: ReadonlyMap<string, SiteFile>;
  /** The file the origin serves that the manifest leaves out. */
  readonly outside: SiteFile;
  /** The manifest as last built (unverified decode, for assertions). */
  manifest(): Promise<Manifest>;
  /** A file's manifest entry. */
  entry(path: string): Promise<ManifestFile>;
  /** A file's bytes on disk. */
  bytes(path: string): Promise<Buffer>;
  /** Builds and signs the next manifest version with the site key; resolves to the version. */
  publish(): Promise<number>;
  cleanup(): Promise<void>;
}

/** Lowercase hex SHA-256. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Decodes (without verifying: tests assert on it) the manifest a site directory's envelope carries. */
export async function readSiteManifest(dir: string): Promise<Manifest> {
  const file = join(dir, 'swarmcdn-manifest.json');
  const envelope = JSON.parse(await readFile(file, 'utf8')) as { payload: string };
  const payload = fromBase64(envelope.payload);
  if (!payload) throw new Error(`${file}: payload is not base64`);
  return parseManifest(payload);
}

/** The manifest entry of `path`, or a clear error when the manifest does not list it. */
export async function siteEntry(dir: string, path: string): Promise<ManifestFile> {
  const found = (await readSiteManifest(dir)).files[path];
  if (!found) throw new Error(`${path} is not in the manifest`);
  return found;
}

const EXCLUDE = 'private/**';

/** A fixture PNG at its size from IMAGE_SIZES. */
function png(path: keyof typeof IMAGE_SIZES, seed: number, level?: number): Buffer {
  const { width, height } = IMAGE_SIZES[path];
  return makePng(width, height, seed, level);
}

/** Writes the fixture site and its signed manifest (version 1) into a temp directory. */
export async function makeSite(options: { large?: boolean; media?: boolean } = {}): Promise<E2eSite> {
  assertCliBuilt();
  const temps = new TempDirs();
  const dir = join(await temps.make('swarmcdn-e2e-site-'), 'site');
  const keys = await keygen(await temps.make('swarmcdn-e2e-keys-'));
  const contents: Record<string, Buffer> = {
    [PATHS.index]: Buffer.from(INDEX_HTML),
    '/img/dot.png': png('/img/dot.png', 11),
    '/img/stripe.png': png('/img/stripe.png', 12),
    '/img/tile.png': png('/img/tile.png', 13),
    // Stored uncompressed: ~480 KiB, two chunks.
    '/img/photo.png': png('/img/photo.png', 14, 0),
    [PATHS.medium]: bytesOf(MEDIUM_BYTES, 21),
    [PATHS.outside]: Buffer.from('not in the manifest: never from a peer\n'),
  };
  if (options.large) contents[PATHS.large] = bytesOf(LARGE_BYTES, 22);
  if (options.media) contents[PATHS.media] = makeWav(MEDIA_SECONDS, 23);
  await writeTree(dir, Object.fromEntries(Object.entries(contents).map(([path, bytes]) => [path.slice(1), bytes])));

  const fileInfo = (path: string): SiteFile => ({ path, size: contents[path]!.length, sha256: sha256Hex(contents[path]!) });
  const files = new Map(Object.keys(contents).filter((p) => p !== PATHS.outside).map((p) => [p, fileInfo(p)] as const));
  const manifest = (): Promise<Manifest> => readSiteManifest(dir);

  const publish = async (): Promise<number> => {
    const run = await swarmcdnJson<{ version: number }>(['manifest', 'build', dir, '--key', keys.key, '--exclude', EXCLUDE, '--threads', '0']);
    if (run.code !== 0) throw new Error(`manifest build failed: ${JSON.stringify(run)}`);
    return run.json.version;
  };

  await publish();
  const listed = Object.keys((await manifest()).files).sort();
  if (JSON.stringify(listed) !== JSON.stringify([...files.keys()].sort())) {
    throw new Error(`the manifest lists ${JSON.stringify(listed)}, expected ${JSON.stringify([...files.keys()].sort())}`);
  }

  return {
    dir,
    keys,
    files,
    outside: fileInfo(PATHS.outside),
    manifest,
    entry: (path) => siteEntry(dir, path),
    bytes: (path) => readFile(join(dir, ...path.slice(1).split('/'))),
    publish,
    cleanup: () => temps.cleanup(),
  };
}
