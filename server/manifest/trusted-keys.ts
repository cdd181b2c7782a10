/**
 * The keys a site's manifests are checked with: `publicKeys` when given, else the public half of
 * the signing key. They verify every manifest the server publishes and are baked into sw.js, so
 * the server never publishes an envelope its own service worker would refuse.
 */
import { readFile } from 'node:fs/promises';
import { SwarmError, importPublicKeyPem, isSwarmError, publicPemOf, toBase64, type TrustedKey } from '../../protocol/index.js';
import type { ResolvedServerOptions } from '../options.js';

/** Trusted keys as canonical SPKI PEMs (for baking) and imported keys (for verifying). */
export interface TrustedKeySet {
  readonly pems: readonly string[];
  readonly keys: readonly TrustedKey[];
}

async function canonicalPem(key: TrustedKey): Promise<string> {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', key.key));
  const lines = toBase64(spki).match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

async function signingKeyPublicPem(path: string): Promise<string> {
  let privatePem: string;
  try {
    privatePem = await readFile(path, 'utf8');
  } catch (error) {
    throw new SwarmError('CONFIG_INVALID', `signingKeyFile cannot be read: ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return await publicPemOf(privatePem);
  } catch {
    throw new SwarmError('CONFIG_INVALID', `signingKeyFile is not an Ed25519 private key (PKCS#8 PEM): ${path}`);
  }
}

/** Imports the trusted keys the options name (none when they name none). */
export async function loadTrustedKeys(options: Pick<ResolvedServerOptions, 'publicKeys' | 'signingKeyFile'>): Promise<TrustedKeySet> {
  const texts = options.publicKeys.length > 0 ? options.publicKeys : options.signingKeyFile ? [await signingKeyPublicPem(options.signingKeyFile)] : [];
  const byKeyid = new Map<string, TrustedKey>();
  for (const [i, text] of texts.entries()) {
    try {
      const key = await importPublicKeyPem(text);
      byKeyid.set(key.keyid, key);
    } catch (error) {
      if (!isSwarmError(error)) throw error;
      throw new SwarmError('CONFIG_INVALID', `publicKeys[${i}] is not an Ed25519 public key (SPKI PEM)`);
    }
  }
  const keys = [...byKeyid.values()];
  return { pems: await Promise.all(keys.map(canonicalPem)), keys };
}
