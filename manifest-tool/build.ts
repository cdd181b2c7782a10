/** `manifest build`: walk the tree, hash on all cores, sign, and write the envelope atomically. */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { contentType as contentTypeOf } from 'mime-types';
import {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_ENVELOPE_BYTES,
  MANIFEST_PAYLOAD_TYPE,
  MANIFEST_TYPE,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  SwarmError,
  envelopeToJson,
  serializeManifest,
  signEnvelope,
  type Envelope,
  type Manifest,
  type ManifestFile,
  type SigningKey,
} from '../protocol/index.js';
import { hashFiles } from './hash-pool.js';
import { pageReferences } from './page-references.js';
import { checkListedPaths, placeholderFiles, preflight } from './preflight.js';
import { parseSiteOrigin } from './resolve-reference.js';
import { listSiteFiles, type SkippedEntry } from './walk-site.js';

/** The default output file name, inside the site directory. */
export const MANIFEST_FILE = 'swarmcdn-manifest.json';
/** 30 days. */
export const DEFAULT_EXPIRES_MS = 30 * 24 * 3600 * 1000;
// Room kept under the verifiers' envelope cap for the envelope's own fields and the signatures
// (`manifest sign` may add up to MAX_SIGNATURES, ~200 bytes each).
const SIGNATURE_HEADROOM = 64 * 1024;

/** Everything `buildManifest` takes; only siteDir and keys are required. */
export interface BuildOptions {
  readonly siteDir: string;
  readonly keys: readonly SigningKey[];
  /** Default `<siteDir>/swarmcdn-manifest.json`. */
  readonly out?: string;
  /** Default: the existing output's version + 1, or 1 (at least `minVersion`). */
  readonly version?: number;
  /** The lowest version to sign (a server passes the one above what it has published). */
  readonly minVersion?: number;
  readonly expiresInMs?: number;
  readonly chunkSize?: number;
  readonly exclude?: readonly string[];
  readonly dotfiles?: boolean;
  /** Files that must never be published (the private keys): finding one in the tree is an error. */
  readonly forbid?: readonly string[];
  /** Record `pages` (each HTML page's references); default true. */
  readonly pages?: boolean;
  /** The site's origin, so absolute URLs to it in pages count as the site's own files. */
  readonly origin?: string;
  /** The envelope size verifiers accept (default theirs, 32 MiB); `pages` is left out rather than pass it. */
  readonly maxEnvelopeBytes?: number;
  /** Hashing threads; default every core, 0 hashes on the calling thread. */
  readonly threads?: number;
  readonly now?: Date;
  readonly onStart?: (totalBytes: number, totalFiles: number) => void;
  readonly onProgress?: (bytesDone: number, filesDone: number) => void;
  /** Abandons the build (nothing is written) with the signal's reason: a server that closes. */
  readonly signal?: AbortSignal;
}

/** What a build produced, and how fast. */
export interface BuildResult {
  readonly out: string;
  readonly envelope: Envelope;
  readonly manifest: Manifest;
  /** The version of the output file this build replaced, if it had a readable one. */
  readonly previousVersion: number | undefined;
  readonly skipped: readonly SkippedEntry[];
  /** Things the user should know that did not stop the build. */
  readonly warnings: readonly string[];
  readonly stats: { files: number; bytes: number; pages: number; hashMs: number; pagesMs: number; totalMs: number; mbPerSec: number };
}

function contentTypeFor(name: string): string {
  return contentTypeOf(name) || 'application/octet-stream';
}

/** The latest time Date#toISOString writes in the manifest's format (a later one gets a 6-digit year). */
const MAX_ISO_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * The version field of an existing output, read leniently: it only numbers the next build, so an
 * output an older CLI wrote past today's caps (too large, a path too long) must not block it.
 */
function versionOf(bytes: Buffer): number | undefined {
  try {
    const outer: unknown = JSON.parse(bytes.toString('utf8'));
    const payload = (outer as { payload?: unknown } | null)?.payload;
    const inner: unknown = typeof payload === 'string' ? JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) : outer;
    const version = (inner as { version?: unknown } | null)?.version;
    return Number.isSafeInteger(version) && (version as number) >= 1 ? (version as number) : undefined;
  } catch {
    return undefined;
  }
}

/** The output's current version (undefined without one) and the version this build signs. */
async function chooseVersion(out: string, version: number | undefined, minVersion: number): Promise<{ previous: number | undefined; version: number }> {
  const bytes = await readFile(out).catch(() => undefined);
  const previous = bytes === undefined ? undefined : versionOf(bytes);
  if (bytes !== undefined && previous === undefined && version === undefined) {
    throw new SwarmError('CONFIG_INVALID', `cannot read the version of the existing ${out}; pass --version`, { path: out });
  }
  if (version !== undefined) {
    if (version < minVersion) throw new SwarmError('CONFIG_INVALID', `version ${version} is below the minimum version ${minVersion}`);
    return { previous, version };
  }
  const next = Math.max((previous ?? 0) + 1, minVersion);
  if (!Number.isSafeInteger(next)) throw new SwarmError('CONFIG_INVALID', `${out} has the largest version there is; pass --version`, { path: out });
  return { previous, version: next };
}

/** At most the bytes `pages` adds to the serialized manifest (paths are ASCII: canonical paths are percent-encoded). */
function pagesJsonLength(pages: Readonly<Record<string, readonly string[]>>): number {
  let length = ',"pages":{}'.length;
  for (const [page, refs] of Object.entries(pages)) {
    length += page.length + 6; // "page":[] and a comma (one too many for the last page)
    for (const ref of refs) length += ref.length + 3; // "ref" and a comma (one too many per list)
  }
  return length;
}

/** Writes through a temp file and a rename, so a reader (the server) never sees half a manifest. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new SwarmError('OUTPUT_FAILED', `cannot write ${path}: ${(error as Error).message}`, { path });
  }
}

/** Builds and signs the manifest of a site tree, and writes it atomically. */
export async function buildManifest(options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new SwarmError('CONFIG_INVALID', `chunk size must be an integer from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}`);
  }
  const expiresInMs = options.expiresInMs ?? DEFAULT_EXPIRES_MS;
  if (!(expiresInMs > 0)) throw new SwarmError('CONFIG_INVALID', 'expiry must be a positive duration');
  for (const [name, value] of [['version', options.version], ['minVersion', options.minVersion]] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new SwarmError('CONFIG_INVALID', `${name} must be a positive integer`);
  }
  const now = options.now ?? new Date();
  if (!(now.getTime() + expiresInMs <= MAX_ISO_TIME_MS)) throw new SwarmError('CONFIG_INVALID', 'expiry must fall before the year 10000');
  // One signature per key: the same key twice adds nothing but bytes, and verifiers cap the count.
  const keys = [...new Map(options.keys.map((k) => [k.keyid, k])).values()];
  const keyids = keys.map((k) => k.keyid);
  const origin = options.origin === undefined ? undefined : parseSiteOrigin(options.origin);
  if (options.origin !== undefined && origin === undefined) {
    throw new SwarmError('CONFIG_INVALID', `origin must be an http(s) origin such as https://example.com, got ${JSON.stringify(options.origin)}`);
  }
  const siteDir = resolve(options.siteDir);
  const out = resolve(options.out ?? join(siteDir, MANIFEST_FILE));
  const { files, skipped } = await listSiteFiles(siteDir, {
    dotfiles: options.dotfiles ?? false,
    exclude: options.exclude ?? [],
    // The output, and a manifest left at the default place when --out points elsewhere.
    skip: [out, join(siteDir, MANIFEST_FILE)],
    forbid: options.forbid ?? [],
  });
  const { previous: previousVersion, version } = await chooseVersion(out, options.version, options.minVersion ?? 1);
  const base: Manifest = {
    type: MANIFEST_TYPE,
    version,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + expiresInMs).toISOString(),
    chunkSize,
    files: {},
  };
  // Everything a verifier would refuse, found before hours of hashing rather than after.
  const listed = files.map((f) => ({ relPath: f.relPath, urlPath: f.urlPath, size: f.size, contentType: contentTypeFor(basename(f.relPath)) }));
  checkListedPaths(listed);
  preflight({ ...base, files: placeholderFiles(listed, chunkSize) }, keyids, 'listed', options.maxEnvelopeBytes);

  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  options.onStart?.(totalBytes, files.length);
  const hashStarted = performance.now();
  const hashes = await hashFiles(
    files.map((f) => ({ path: f.absPath, size: f.size })),
    { chunkSize, threads: options.threads, onProgress: options.onProgress, signal: options.signal },
  );
  const hashMs = performance.now() - hashStarted;

  const entries: Record<string, ManifestFile> = {};
  files.forEach((file, i) => {
    const h = hashes[i]!;
    entries[file.urlPath] = { size: h.size, contentType: listed[i]!.contentType, integrity: h.integrity, chunks: h.chunks };
  });
  const pagesStarted = performance.now();
  const pages =
    options.pages === false
      ? {}
      : await pageReferences(
          files.map((f) => ({ urlPath: f.urlPath, absPath: f.absPath, size: entries[f.urlPath]!.size, contentType: entries[f.urlPath]!.contentType })),
          { origin },
        );
  const pagesMs = performance.now() - pagesStarted;
  const pageCount = Object.keys(pages).length;
  const warnings: string[] = [];
  let manifest: Manifest = { ...base, files: entries };
  if (pageCount > 0) {
    // Every verifier refuses the whole manifest over the cap, while without `pages` the site still
    // works. Paths are ASCII, so the size is bounded before anything is serialized or signed.
    const limit = (options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES) - SIGNATURE_HEADROOM;
    const size = Math.ceil((serializeManifest(manifest).length + pagesJsonLength(pages)) / 3) * 4; // the base64 payload
    if (size <= limit) {
      manifest = { ...manifest, pages };
    } else {
      warnings.push(`pages left out: with them the signed manifest is ${(size / 1e6).toFixed(1)} MB, over the ${(limit / 1e6).toFixed(1)} MB verifiers accept`);
    }
  }
  const payload = preflight(manifest, keyids, 'hashed', options.maxEnvelopeBytes);
  const envelope = await signEnvelope(MANIFEST_PAYLOAD_TYPE, payload, keys);
  const text = envelopeToJson(envelope);
  options.signal?.throwIfAborted();
  await writeAtomically(out, text);
  const totalMs = performance.now() - started;
  return {
    out,
    envelope,
    manifest,
    previousVersion,
    skipped,
    warnings,
    stats: { files: files.length, bytes: totalBytes, pages: manifest.pages ? pageCount : 0, hashMs, pagesMs, totalMs, mbPerSec: totalBytes / 1e6 / Math.max(hashMs / 1000, 1e-6) },
  };
}
