/** The manifest format, `swarmcdn/manifest@1`, and the DSSE envelope that carries it. */

/** The `type` every version-1 manifest carries. */
export const MANIFEST_TYPE = 'swarmcdn/manifest@1';
/** The DSSE payloadType of a signed manifest. */
export const MANIFEST_PAYLOAD_TYPE = 'application/vnd.swarmcdn.manifest+json';
/** 256 KiB: large enough that per-chunk overhead vanishes, small enough that a bad chunk is cheap. */
export const DEFAULT_CHUNK_SIZE = 262_144;
/** The smallest and largest chunk sizes a manifest may use. */
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
/**
 * 32 MiB: a manifest costs ~60 bytes per chunk, so this fits sites of well over 100 GiB while
 * bounding what a hostile server or peer can make a service worker parse.
 */
export const DEFAULT_MAX_ENVELOPE_BYTES = 32 * 1024 * 1024;
/** More signatures than this is not a real key set but an attempt to burn verify time. */
export const MAX_SIGNATURES = 16;
/**
 * Most manifest files one page may list in `pages`: far above any real page's assets, low enough
 * that one page cannot make a bridge queue an unbounded prefetch.
 */
export const MAX_PAGE_REFERENCES = 10_000;

/** An SRI value for SHA-256: `sha256-` and 44 characters of padded base64. */
export type Sha256Sri = `sha256-${string}`;

/** One file of the site. */
export interface ManifestFile {
  /** Bytes. */
  readonly size: number;
  /** The Content-Type the origin serves it with. */
  readonly contentType: string;
  /** SRI value of the whole file. */
  readonly integrity: Sha256Sri;
  /** SRI value of each `chunkSize` slice, in order; the last may be shorter; none for an empty file. */
  readonly chunks: readonly Sha256Sri[];
}

/** A version-1 manifest, as signed. */
export interface Manifest {
  readonly type: typeof MANIFEST_TYPE;
  /** Positive integer, higher with every publish (anti-rollback). */
  readonly version: number;
  /** ISO 8601. */
  readonly issuedAt: string;
  /** ISO 8601; after it the manifest is refused (anti-freeze). */
  readonly expiresAt: string;
  readonly chunkSize: number;
  /** Keyed by canonical URL path. */
  readonly files: Readonly<Record<string, ManifestFile>>;
  /**
   * Per HTML page (a key of `files`), the other files of `files` it references, sorted and distinct.
   * A page is keyed by its file path only (`/docs/index.html`, never `/docs/`): the bridge maps a
   * directory URL to its index file itself. Optional: absent in manifests built without it.
   */
  readonly pages?: Readonly<Record<string, readonly string[]>>;
}

/** One DSSE signature. */
export interface EnvelopeSignature {
  readonly keyid: string;
  readonly sig: string;
}

/** A DSSE envelope (the in-toto/sigstore "Dead Simple Signing Envelope"). */
export interface Envelope {
  readonly payloadType: string;
  /** Base64 of the exact signed bytes. */
  readonly payload: string;
  readonly signatures: readonly EnvelopeSignature[];
}

/** How many chunks a file of `size` bytes has. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}
