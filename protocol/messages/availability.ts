/**
 * The availability view: how many peers of one site's swarm hold each file of the current
 * manifest. A service worker reads it once at start (GET AVAILABILITY_PATH) and keeps it current
 * from the tracker's `availability` pushes, so it decides at once whether asking peers is worth it.
 * Bodies and frames are untrusted: the readers here never throw and build their results on a
 * null prototype (a `__proto__` key is refused anyway: it is not a sha256 SRI value).
 */
import { isSha256Sri } from '../manifest/manifest.js';
import type { Sha256Sri } from '../manifest/types.js';
import { ROUTES } from '../wire.js';

/** Where the server serves a site's availability view (relative to its base: see wire.ts). */
export const AVAILABILITY_PATH = ROUTES.availability;

/** Entries in one view a reader accepts by default: far above any real site, and it bounds the work. */
export const MAX_AVAILABILITY_ENTRIES = 1_000_000;
/** The largest holder count anyone reports: 1e9 is more peers than any swarm has, and stays a small integer. */
export const MAX_HOLDER_COUNT = 1e9;

/** How many peers hold each manifest file (keyed by the file's `integrity`) in one site's swarm; files nobody holds are absent. */
export interface AvailabilityView {
  /** The server's current manifest version (0: none). */
  readonly manifestVersion: number;
  /** Positive integer counts. */
  readonly files: Readonly<Record<Sha256Sri, number>>;
  /**
   * The max-age (seconds) the origin gives the site's files. A SW gives its own answers for them the
   * same lifetime, so the browser's memory cache reuses them across pages as it would the origin's.
   */
  readonly assetMaxAgeSeconds?: number;
}

/** The longest asset lifetime a view may carry: one year, the longest any cache honours. */
export const MAX_ASSET_MAX_AGE_SECONDS = 31_536_000;

/** Why a map of counts was refused; the tracker parser turns `tooMany` into its own code. */
export type AvailabilityCountsResult =
  | { readonly ok: true; readonly files: Record<Sha256Sri, number> }
  | { readonly ok: false; readonly tooMany: boolean };

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an untrusted `{ [sha256 SRI]: count }` object into a null-prototype copy: at most
 * `maxEntries` keys, every key a sha256 SRI value, every count a safe integer in `minCount`..1e9.
 * Never throws.
 */
export function readAvailabilityCounts(value: unknown, maxEntries: number, minCount: number): AvailabilityCountsResult {
  if (!isPlainRecord(value)) return { ok: false, tooMany: false };
  const keys = Object.keys(value);
  if (keys.length > maxEntries) return { ok: false, tooMany: true };
  const files = Object.create(null) as Record<Sha256Sri, number>;
  for (const key of keys) {
    const count = value[key];
    if (!isSha256Sri(key)) return { ok: false, tooMany: false };
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < minCount || count > MAX_HOLDER_COUNT) {
      return { ok: false, tooMany: false };
    }
    files[key] = count;
  }
  return { ok: true, files };
}

/** Parses an untrusted availability body; undefined when it is not one (never throws). */
export function parseAvailabilityView(value: unknown, maxEntries: number = MAX_AVAILABILITY_ENTRIES): AvailabilityView | undefined {
  try {
    if (!isPlainRecord(value)) return undefined;
    const { manifestVersion } = value;
    if (typeof manifestVersion !== 'number' || !Number.isSafeInteger(manifestVersion) || manifestVersion < 0) return undefined;
    // A view lists held files only: a count of 0 is not a view the server sends.
    const counts = readAvailabilityCounts(value.files, maxEntries, 1);
    if (!counts.ok) return undefined;
    const { assetMaxAgeSeconds: maxAge } = value;
    if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0 || maxAge > MAX_ASSET_MAX_AGE_SECONDS)) return undefined;
    const view = { manifestVersion, files: Object.freeze(counts.files) };
    return Object.freeze(maxAge === undefined ? view : { ...view, assetMaxAgeSeconds: maxAge });
  } catch {
    // A getter or proxy on a caller's object (never JSON) could throw; the answer is still "not a view".
    return undefined;
  }
}
