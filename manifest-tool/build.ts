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
import { readManifestUnverified } from './read-manifest.js';
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
  /** Default: the existing output's version + 1, or 1. */
  readonly version?: number;
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
}

/** What a build produced, and how fast. */
export interface BuildResult {
  readonly out: string;
  readonly envelope: Envelope;
  readonly manifest: Manifest;
  readonly skipped: readonly SkippedEntry[];
  /** Things the user should know that did not stop the build. */
  readonly warnings: readonly string[];
  readonly stats: { files: number; bytes: number; pages: number; hashMs: number; pagesMs: number; totalMs: number; mbPerSec: number };
}

function contentTypeFor(name: string): string {
  return contentTypeOf(name) || 'application/octet-stream';
}

async function nextVersion(out: string): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(out);
  } catch {
    return 1;
  }
  try {
    return readManifestUnverified(bytes).version + 1;
  } catch {
    throw new SwarmError('CONFIG_INVALID', `cannot read the version of the existing ${out}; pass --version`, { path: out });
  }
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
  if (options.version !== undefined && (!Number.isSafeInteger(options.version) || options.version < 1)) {
    throw new SwarmError('CONFIG_INVALID', 'version must be a positive integer');
  }
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
  const version = options.version ?? (await nextVersion(out));

  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  options.onStart?.(totalBytes, files.length);
  const hashStarted = performance.now();
  const hashes = await hashFiles(
    files.map((f) => ({ path: f.absPath, size: f.size })),
    { chunkSize, threads: options.threads, onProgress: options.onProgress },
  );
  const hashMs = performance.now() - hashStarted;

  const entries: Record<string, ManifestFile> = {};
  files.forEach((file, i) => {
    const h = hashes[i]!;
    entries[file.urlPath] = { size: h.size, contentType: contentTypeFor(basename(file.relPath)), integrity: h.integrity, chunks: h.chunks };
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
  const now = options.now ?? new Date();
  const base: Manifest = {
    type: MANIFEST_TYPE,
    version,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + expiresInMs).toISOString(),
    chunkSize,
    files: entries,
  };
  const warnings: string[] = [];
  let manifest = base;
  let payload = serializeManifest(base);
  if (pageCount > 0) {
    // Every verifier refuses the whole manifest over the cap, while without `pages` the site still
    // works. Paths are ASCII, so the size is bounded before anything is serialized or signed.
    const limit = (options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES) - SIGNATURE_HEADROOM;
    const size = Math.ceil((payload.length + pagesJsonLength(pages)) / 3) * 4; // the base64 payload
    if (size <= limit) {
      manifest = { ...base, pages };
      payload = serializeManifest(manifest);
    } else {
      warnings.push(`pages left out: with them the signed manifest is ${(size / 1e6).toFixed(1)} MB, over the ${(limit / 1e6).toFixed(1)} MB verifiers accept`);
    }
  }
  const envelope = await signEnvelope(MANIFEST_PAYLOAD_TYPE, payload, options.keys);
  const text = envelopeToJson(envelope);
  await writeAtomically(out, text);
  const totalMs = performance.now() - started;
  return {
    out,
    envelope,
    manifest,
    skipped,
    warnings,
    stats: { files: files.length, bytes: totalBytes, pages: manifest.pages ? pageCount : 0, hashMs, pagesMs, totalMs, mbPerSec: totalBytes / 1e6 / Math.max(hashMs / 1000, 1e-6) },
  };
}
