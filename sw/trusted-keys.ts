/** The site's trusted keys, from the PEMs baked into the SW by the server. */
import { importPublicKeyPem, type TrustedKey } from '../protocol/index.js';

/** The baked PEMs; anything that is not an array of strings means no keys. */
export function bakedPems(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((pem): pem is string => typeof pem === 'string') : [];
}

/** Imports the baked keys once; a key that does not import is dropped rather than trusted. */
export async function importTrustedKeys(baked: unknown): Promise<TrustedKey[]> {
  const keys = await Promise.all(bakedPems(baked).map((pem) => importPublicKeyPem(pem).catch(() => undefined)));
  return keys.filter((k): k is TrustedKey => k !== undefined);
}
