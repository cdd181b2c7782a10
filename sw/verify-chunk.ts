/** The one check every chunk passes before it is served, stored or passed on. */
import { sha256Sri, type Sha256Sri } from '../protocol/index.js';

/** True when bytes have the manifest's length for the chunk and hash to its SRI value. */
export async function verifyChunk(bytes: Uint8Array, expected: Sha256Sri, size: number): Promise<boolean> {
  // Length first: never hash (or trust) more than the manifest says the chunk holds.
  if (bytes.byteLength !== size) return false;
  return (await sha256Sri(bytes)) === expected;
}
