/** Reading a manifest for tooling (diff, the next version number) without trusting it for content. */
import { readFile } from 'node:fs/promises';
import { SwarmError, fromBase64, parseEnvelope, parseManifest, type Manifest } from '../protocol/index.js';

/**
 * Decodes an envelope's payload, or a bare manifest, without checking signatures. Only for local
 * tooling that reports on files it was handed; anything that serves or trusts bytes verifies.
 */
export function readManifestUnverified(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new SwarmError('MANIFEST_MALFORMED', 'not JSON');
  }
  if (typeof value === 'object' && value !== null && 'payload' in value) {
    const payload = fromBase64(parseEnvelope(bytes).payload);
    if (!payload) throw new SwarmError('MANIFEST_MALFORMED', 'payload is not base64');
    return parseManifest(payload);
  }
  return parseManifest(bytes);
}

/** Reads a file; INPUT_NOT_FOUND when it cannot be read. */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch {
    throw new SwarmError('INPUT_NOT_FOUND', `cannot read ${what}: ${path}`, { path });
  }
}
