/** Parsing (untrusted bytes → typed manifest, or a coded error) and canonical serialization. */
import { SwarmError } from '../errors.js';
import { fromUtf8, utf8 } from './encoding.js';
import {
  MANIFEST_TYPE,
  MAX_CHUNK_SIZE,
  MAX_PAGE_REFERENCES,
  MIN_CHUNK_SIZE,
  chunkCount,
  type Manifest,
  type ManifestFile,
  type Sha256Sri,
} from './types.js';
import { MAX_URL_PATH_LENGTH, isCanonicalUrlPath } from './url-path.js';

const SRI_RE = /^sha256-[A-Za-z0-9+/]{43}=$/;
// ISO 8601 as Date#toISOString writes it, or with an offset; Date.parse must also accept it.
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** True for a SHA-256 SRI value. */
export function isSha256Sri(value: unknown): value is Sha256Sri {
  return typeof value === 'string' && SRI_RE.test(value);
}

function malformed(message: string): never {
  throw new SwarmError('MANIFEST_MALFORMED', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseTime(value: unknown, field: string): number {
  if (typeof value !== 'string' || !ISO_RE.test(value)) malformed(`${field} is not an ISO 8601 time`);
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) malformed(`${field} is not an ISO 8601 time`);
  return ms;
}

/** A long path shown in a message: its start and end, so the name is recognizable but the line stays short. */
function shortPath(path: string): string {
  return JSON.stringify(path.length > 160 ? `${path.slice(0, 100)}…${path.slice(-50)}` : path);
}

function parseFile(path: string, value: unknown, chunkSize: number): ManifestFile {
  if (path.length > MAX_URL_PATH_LENGTH) {
    throw new SwarmError('MANIFEST_PATH_INVALID', `a path is ${path.length} characters percent-encoded, over the ${MAX_URL_PATH_LENGTH} cap: ${shortPath(path)}`, {
      path,
      length: path.length,
    });
  }
  if (!isCanonicalUrlPath(path)) {
    throw new SwarmError('MANIFEST_PATH_INVALID', `not an absolute normalized URL path: ${JSON.stringify(path)}`, { path });
  }
  if (!isRecord(value)) malformed(`${path}: entry is not an object`);
  const { size, contentType, integrity, chunks } = value;
  if (!Number.isSafeInteger(size) || (size as number) < 0) malformed(`${path}: size is not a non-negative integer`);
  if (typeof contentType !== 'string' || contentType.length === 0 || contentType.length > 255 || /[\r\n]/.test(contentType)) {
    malformed(`${path}: contentType is not a header-safe string`);
  }
  if (!isSha256Sri(integrity)) malformed(`${path}: integrity is not a sha256 SRI value`);
  if (!Array.isArray(chunks) || !chunks.every(isSha256Sri)) malformed(`${path}: chunks is not a list of sha256 SRI values`);
  if (chunks.length !== chunkCount(size as number, chunkSize)) {
    malformed(`${path}: ${chunks.length} chunk hashes for ${size as number} bytes at chunkSize ${chunkSize}`);
  }
  return { size: size as number, contentType, integrity, chunks: chunks as Sha256Sri[] };
}

function pathInvalid(path: unknown, where: string): never {
  throw new SwarmError('MANIFEST_PATH_INVALID', `${where}: not an absolute normalized URL path: ${JSON.stringify(path)}`, { path });
}

/** `pages`: every key and every reference a canonical path of `files`, no page listing itself or a path twice. */
function parsePages(value: unknown, files: Readonly<Record<string, ManifestFile>>): Record<string, readonly string[]> {
  if (!isRecord(value)) malformed('pages is not an object');
  const parsed: Record<string, readonly string[]> = {};
  for (const [page, refs] of Object.entries(value)) {
    if (!isCanonicalUrlPath(page)) pathInvalid(page, 'pages');
    if (!Object.hasOwn(files, page)) malformed(`pages: ${page} is not a file of the manifest`);
    if (!Array.isArray(refs)) malformed(`pages: ${page}: references are not a list`);
    if (refs.length > MAX_PAGE_REFERENCES) malformed(`pages: ${page}: more than ${MAX_PAGE_REFERENCES} references`);
    const seen = new Set<string>();
    for (const ref of refs as unknown[]) {
      if (typeof ref !== 'string') malformed(`pages: ${page}: a reference is not a string`);
      if (!isCanonicalUrlPath(ref)) pathInvalid(ref, `pages: ${page}`);
      if (!Object.hasOwn(files, ref)) malformed(`pages: ${page}: ${ref} is not a file of the manifest`);
      if (ref === page) malformed(`pages: ${page} lists itself`);
      if (seen.has(ref)) malformed(`pages: ${page} lists ${ref} twice`);
      seen.add(ref);
    }
    parsed[page] = [...seen];
  }
  return parsed;
}

/**
 * Turns untrusted manifest bytes into a Manifest, or throws MANIFEST_MALFORMED /
 * MANIFEST_PATH_INVALID. Call it only on bytes whose signature has been checked.
 */
export function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    malformed('the manifest is not UTF-8 JSON');
  }
  if (!isRecord(value)) malformed('the manifest is not a JSON object');
  if (value.type !== MANIFEST_TYPE) malformed(`type is not ${MANIFEST_TYPE}`);
  const { version, chunkSize, files } = value;
  if (!Number.isSafeInteger(version) || (version as number) < 1) malformed('version is not a positive integer');
  if (!Number.isSafeInteger(chunkSize) || (chunkSize as number) < MIN_CHUNK_SIZE || (chunkSize as number) > MAX_CHUNK_SIZE) {
    malformed(`chunkSize is not an integer between ${MIN_CHUNK_SIZE} and ${MAX_CHUNK_SIZE}`);
  }
  const issued = parseTime(value.issuedAt, 'issuedAt');
  const expires = parseTime(value.expiresAt, 'expiresAt');
  if (expires <= issued) malformed('expiresAt is not after issuedAt');
  if (!isRecord(files)) malformed('files is not an object');
  const parsed: Record<string, ManifestFile> = {};
  for (const [path, entry] of Object.entries(files)) {
    parsed[path] = parseFile(path, entry, chunkSize as number);
  }
  return {
    type: MANIFEST_TYPE,
    version: version as number,
    issuedAt: value.issuedAt as string,
    expiresAt: value.expiresAt as string,
    chunkSize: chunkSize as number,
    files: parsed,
    ...(value.pages === undefined ? {} : { pages: parsePages(value.pages, parsed) }),
  };
}

/** `pages` in signing form: pages by path, each list sorted and distinct; undefined when there is none. */
function canonicalPages(pages: Manifest['pages']): Record<string, string[]> | undefined {
  const keys = Object.keys(pages ?? {}).sort();
  if (keys.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const page of keys) out[page] = [...new Set(pages![page]!)].sort();
  return out;
}

/**
 * The bytes that get signed: fixed key order, files sorted by path (code-unit order), compact JSON.
 * Deterministic, so the same tree and version always sign the same bytes. `pages` comes last and
 * only when it lists a page, so a manifest without it has the same bytes as before it existed.
 */
export function serializeManifest(manifest: Manifest): Uint8Array {
  const files: Record<string, ManifestFile> = {};
  for (const path of Object.keys(manifest.files).sort()) {
    const f = manifest.files[path]!;
    files[path] = { size: f.size, contentType: f.contentType, integrity: f.integrity, chunks: [...f.chunks] };
  }
  return utf8(
    JSON.stringify({
      type: manifest.type,
      version: manifest.version,
      issuedAt: manifest.issuedAt,
      expiresAt: manifest.expiresAt,
      chunkSize: manifest.chunkSize,
      files,
      // JSON.stringify leaves out a key whose value is undefined.
      pages: canonicalPages(manifest.pages),
    }),
  );
}
