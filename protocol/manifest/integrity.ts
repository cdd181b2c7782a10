/** Chunk and file integrity through WebCrypto: what a service worker checks every peer chunk with. */
import { toBase64 } from './encoding.js';
import type { Sha256Sri } from './types.js';

/** The SHA-256 SRI value of some bytes. */
export async function sha256Sri(bytes: Uint8Array): Promise<Sha256Sri> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
  return `sha256-${toBase64(digest)}`;
}

/** True when bytes hash to the expected SRI value. */
export async function matchesSri(bytes: Uint8Array, expected: Sha256Sri): Promise<boolean> {
  return (await sha256Sri(bytes)) === expected;
}
