/** Reading and writing key files: private keys PKCS#8 PEM at mode 0600, public keys SPKI PEM. */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  SwarmError,
  generateKeyPair,
  importPrivateKeyPem,
  importPublicKeyPem,
  type SigningKey,
  type TrustedKey,
} from '../protocol/index.js';

/** The file names `keygen` writes. */
export const PRIVATE_KEY_FILE = 'swarmcdn.key';
export const PUBLIC_KEY_FILE = 'swarmcdn.pub';

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new SwarmError('INPUT_NOT_FOUND', `cannot read ${what}: ${path}`, { path });
  }
}

/** Loads a private key file; KEY_INVALID names the file when it is not an Ed25519 PKCS#8 key. */
export async function loadSigningKey(path: string): Promise<SigningKey> {
  const pem = await readText(path, 'private key');
  try {
    return await importPrivateKeyPem(pem);
  } catch (error) {
    throw new SwarmError('KEY_INVALID', `${path} is not an Ed25519 private key (PKCS#8 PEM)`, { path, cause: String(error) });
  }
}

/** Loads a public key file. */
export async function loadTrustedKey(path: string): Promise<TrustedKey> {
  const pem = await readText(path, 'public key');
  try {
    return await importPublicKeyPem(pem);
  } catch (error) {
    throw new SwarmError('KEY_INVALID', `${path} is not an Ed25519 public key (SPKI PEM)`, { path, cause: String(error) });
  }
}

/** What keygen wrote. */
export interface KeygenResult {
  readonly keyid: string;
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes a new key pair into `outDir`. Refuses (OUTPUT_EXISTS) when either file exists unless
 * `force`, checking both before writing either, so a refusal leaves nothing half-written.
 */
export async function keygen(outDir: string, options: { force?: boolean } = {}): Promise<KeygenResult> {
  const privateKeyPath = join(outDir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(outDir, PUBLIC_KEY_FILE);
  if (!options.force) {
    for (const path of [privateKeyPath, publicKeyPath]) {
      if (await exists(path)) throw new SwarmError('OUTPUT_EXISTS', `${path} exists (pass --force to replace it)`, { path });
    }
  }
  try {
    await mkdir(outDir, { recursive: true });
  } catch {
    throw new SwarmError('INPUT_NOT_FOUND', `cannot create directory ${outDir}`);
  }
  const pair = await generateKeyPair();
  try {
    // mode only applies when the file is created; chmod covers --force over an existing file.
    await writeFile(privateKeyPath, pair.privatePem, { mode: 0o600, flag: options.force ? 'w' : 'wx' });
    await chmod(privateKeyPath, 0o600);
    await writeFile(publicKeyPath, pair.publicPem, { mode: 0o644, flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    throw new SwarmError('OUTPUT_FAILED', `cannot write the key pair into ${outDir}: ${(error as Error).message}`);
  }
  return { keyid: pair.keyid, privateKeyPath, publicKeyPath };
}
