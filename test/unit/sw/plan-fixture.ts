/** What the SW's plan tests (prefetch, warm-up) build their manifests from: numbered hashes and one-chunk files. */
import type { Manifest, ManifestFile, Sha256Sri } from '../../../protocol/index.js';

/** A distinct, valid SRI value per number. */
export const sri = (n: number): Sha256Sri => `sha256-${String(n).padStart(43, 'A')}=`;

/** A one-chunk file of `size` bytes whose integrity is sri(n). */
export function file(n: number, size: number): ManifestFile {
  return { size, contentType: 'application/octet-stream', integrity: sri(n), chunks: [sri(1000 + n)] };
}

/** A version-1 manifest of these files and page references. */
export function manifestOf(files: Record<string, ManifestFile>, pages: Record<string, string[]>): Manifest {
  return {
    type: 'swarmcdn/manifest@1',
    version: 1,
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2027-01-01T00:00:00.000Z',
    chunkSize: 262_144,
    files,
    pages,
  };
}
