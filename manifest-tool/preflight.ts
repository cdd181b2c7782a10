/**
 * What `manifest build` checks so that it never signs a manifest `manifest verify` (or a service
 * worker) would refuse. The checks are the verifier's own (`checkBeforeSigning` in protocol/): run
 * once on the listed files with placeholder hashes before anything is hashed (a site too big to
 * publish fails in seconds, not after hours of hashing), and once on the real manifest before it
 * is signed. Errors keep the verifier's code and say which file or size, and what to do.
 */
import {
  DEFAULT_MAX_ENVELOPE_BYTES,
  MAX_URL_PATH_LENGTH,
  SwarmError,
  checkBeforeSigning,
  chunkCount,
  isCanonicalUrlPath,
  isSwarmError,
  serializeManifest,
  type Manifest,
  type ManifestFile,
  type Sha256Sri,
} from '../protocol/index.js';

/** A file as listed, before it is hashed. */
export interface ListedFile {
  readonly relPath: string;
  readonly urlPath: string;
  readonly size: number;
  readonly contentType: string;
}

/** Where the check runs: on the listing (placeholder hashes) or on the manifest about to be signed. */
export type PreflightStage = 'listed' | 'hashed';

// An SRI value has a fixed length, so placeholders make the manifest exactly as long as the real one.
const PLACEHOLDER_SRI: Sha256Sri = `sha256-${'A'.repeat(43)}=`;

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A long path shown in a message: its start and end, so the file is recognizable and the line stays readable. */
function shortPath(path: string): string {
  return path.length > 160 ? `${path.slice(0, 100)}…${path.slice(-50)}` : path;
}

/** Refuses, naming the file, a listed path whose percent-encoded form no verifier accepts. */
export function checkListedPaths(files: readonly ListedFile[]): void {
  for (const f of files) {
    if (isCanonicalUrlPath(f.urlPath)) continue;
    const why = f.urlPath.length > MAX_URL_PATH_LENGTH ? `is ${f.urlPath.length} characters percent-encoded, over the ${MAX_URL_PATH_LENGTH} verifiers accept` : 'is not a canonical URL path';
    throw new SwarmError('MANIFEST_PATH_INVALID', `${shortPath(f.relPath)}: its URL path ${why}; rename it or leave it out with --exclude`, {
      path: f.relPath,
      length: f.urlPath.length,
    });
  }
}

/** The files of the manifest the listing will make, with placeholder hashes of the real length. */
export function placeholderFiles(files: readonly ListedFile[], chunkSize: number): Record<string, ManifestFile> {
  const out: Record<string, ManifestFile> = {};
  for (const f of files) {
    out[f.urlPath] = { size: f.size, contentType: f.contentType, integrity: PLACEHOLDER_SRI, chunks: new Array<Sha256Sri>(chunkCount(f.size, chunkSize)).fill(PLACEHOLDER_SRI) };
  }
  return out;
}

/**
 * Serializes `manifest` and runs the verifier's keyless checks on the envelope these keyids will
 * sign it into; returns the payload to sign. A refusal keeps its code and says what to change.
 */
export function preflight(manifest: Manifest, keyids: readonly string[], stage: PreflightStage, maxBytes = DEFAULT_MAX_ENVELOPE_BYTES): Uint8Array {
  const payload = serializeManifest(manifest);
  try {
    checkBeforeSigning(payload, keyids, { maxBytes, now: new Date(manifest.issuedAt) });
  } catch (error) {
    if (!isSwarmError(error)) throw error;
    const files = Object.keys(manifest.files).length;
    if (error.code === 'MANIFEST_TOO_LARGE') {
      const size = Number(error.details?.size);
      const chunks = Object.values(manifest.files).reduce((sum, f) => sum + f.chunks.length, 0);
      throw new SwarmError(
        'MANIFEST_TOO_LARGE',
        `the signed manifest would be ${mb(size)} (${files} files, ${chunks} chunks), over the ${mb(maxBytes)} verifiers accept; ` +
          'raise --chunk-size (fewer chunk hashes), leave large trees out with --exclude, or split the site',
        { size, maxBytes, files, chunks, stage },
      );
    }
    const what = stage === 'listed' ? 'the listed files' : 'the manifest';
    throw new SwarmError(error.code, `${what} would not verify: ${error.message}`, { ...error.details, stage });
  }
  return payload;
}
