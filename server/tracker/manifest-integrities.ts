/**
 * The file integrities of a published manifest: the only hashes the availability view ever lists.
 * The envelope was verified before it was published, so this only unpacks it (once per manifest).
 */
import { fromBase64, parseEnvelope, parseManifest, type Sha256Sri } from '../../protocol/index.js';

const EMPTY: ReadonlySet<Sha256Sri> = new Set<Sha256Sri>();

/** Every file's `integrity` in a published envelope; empty when it does not unpack (nothing to list). */
export function manifestIntegrities(envelopeJson: string): ReadonlySet<Sha256Sri> {
  try {
    const payload = fromBase64(parseEnvelope(envelopeJson).payload);
    if (!payload) return EMPTY;
    return new Set(Object.values(parseManifest(payload).files).map((file) => file.integrity));
  } catch {
    // Unreachable for a published (verified) envelope; a stand-in one (tests, a host's own) lists nothing.
    return EMPTY;
  }
}

/** True when two sets hold the same members (a co-signed manifest keeps its files: no resend). */
export function sameMembers<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const item of a) if (!b.has(item)) return false;
  return true;
}
