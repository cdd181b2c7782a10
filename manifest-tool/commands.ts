/** The CLI's commands as plain async functions over parsed options: load inputs, call the work, return data. */
import { join, resolve } from 'node:path';
import {
  SwarmError,
  addSignatures,
  checkManifestEnvelope,
  envelopeToJson,
  isSwarmError,
  parseEnvelope,
  verifyManifest,
  type ErrorCode,
  type Manifest,
} from '../protocol/index.js';
import { MANIFEST_FILE, buildManifest, writeAtomically, type BuildResult } from './build.js';
import { diffManifests, type ManifestDiff } from './diff.js';
import { keygen, loadSigningKey, loadTrustedKey, type KeygenResult } from './key-files.js';
import { readInputFile, readManifestUnverified } from './read-manifest.js';
import { verifyTree, type TreeReport } from './verify-tree.js';

/** Progress callbacks the output layer hands to long commands. */
export interface ProgressSink {
  start(totalBytes: number, totalFiles: number): void;
  update(bytesDone: number, filesDone: number): void;
  stop(): void;
}

/** What `manifest verify` found. */
export interface VerifyResult {
  readonly file: string;
  readonly valid: boolean;
  readonly code?: ErrorCode;
  readonly message?: string;
  readonly manifest?: Pick<Manifest, 'version' | 'issuedAt' | 'expiresAt' | 'chunkSize'> & { files: number };
  readonly keyids?: readonly string[];
  readonly tree?: TreeReport;
}

async function build(o: {
  siteDir: string;
  keyPaths: string[];
  out?: string;
  version?: number;
  minVersion?: number;
  expiresInMs: number;
  chunkSize: number;
  exclude: string[];
  dotfiles: boolean;
  pages: boolean;
  origin?: string;
  threads?: number;
  progress?: ProgressSink;
}): Promise<BuildResult> {
  const keys = await Promise.all(o.keyPaths.map(loadSigningKey));
  try {
    return await buildManifest({
      siteDir: o.siteDir,
      keys,
      out: o.out,
      version: o.version,
      minVersion: o.minVersion,
      expiresInMs: o.expiresInMs,
      chunkSize: o.chunkSize,
      exclude: o.exclude,
      dotfiles: o.dotfiles,
      // A private key inside the site tree must never be published: the build refuses.
      forbid: o.keyPaths.map((p) => resolve(p)),
      pages: o.pages,
      origin: o.origin,
      threads: o.threads,
      onStart: (bytes, files) => o.progress?.start(bytes, files),
      onProgress: (bytes, files) => o.progress?.update(bytes, files),
    });
  } finally {
    o.progress?.stop();
  }
}

async function verify(o: {
  file: string;
  pubPaths: string[];
  threshold: number;
  minVersion: number;
  now?: Date;
  dir?: string;
  exclude: string[];
  dotfiles: boolean;
  threads?: number;
}): Promise<VerifyResult> {
  const keys = await Promise.all(o.pubPaths.map(loadTrustedKey));
  const bytes = await readInputFile(o.file, 'manifest');
  let verified;
  try {
    verified = await verifyManifest(bytes, { keys, threshold: o.threshold, minVersion: o.minVersion, now: o.now });
  } catch (error) {
    if (isSwarmError(error) && error.code !== 'CONFIG_INVALID') {
      return { file: o.file, valid: false, code: error.code, message: error.message };
    }
    throw error;
  }
  const m = verified.manifest;
  const summary = { version: m.version, issuedAt: m.issuedAt, expiresAt: m.expiresAt, chunkSize: m.chunkSize, files: Object.keys(m.files).length };
  if (o.dir === undefined) return { file: o.file, valid: true, manifest: summary, keyids: verified.keyids };
  const tree = await verifyTree(m, o.dir, {
    threads: o.threads,
    dotfiles: o.dotfiles,
    exclude: o.exclude,
    skip: [resolve(o.file), join(resolve(o.dir), MANIFEST_FILE)],
  });
  const ok = tree.changed.length + tree.missing.length + tree.unlisted.length === 0;
  return {
    file: o.file,
    valid: ok,
    ...(ok ? {} : { code: 'MANIFEST_TREE_MISMATCH' as const, message: 'the tree does not match the manifest' }),
    manifest: summary,
    keyids: verified.keyids,
    tree,
  };
}

async function sign(file: string, keyPaths: string[]): Promise<{ file: string; keyids: string[]; signatures: number }> {
  const keys = await Promise.all(keyPaths.map(loadSigningKey));
  const bytes = await readInputFile(file, 'manifest');
  readManifestUnverified(bytes); // refuse to co-sign something that is not a manifest
  const envelope = await addSignatures(parseEnvelope(bytes), keys);
  const text = envelopeToJson(envelope);
  // What verifiers would refuse (too many signatures, over the size cap) is never written.
  checkManifestEnvelope(text, { now: new Date(0) });
  await writeAtomically(file, text);
  return { file, keyids: keys.map((k) => k.keyid), signatures: envelope.signatures.length };
}

async function diff(olderPath: string, newerPath: string): Promise<ManifestDiff> {
  const [older, newer] = await Promise.all([readInputFile(olderPath, 'manifest'), readInputFile(newerPath, 'manifest')]);
  const parse = (bytes: Buffer, path: string): Manifest => {
    try {
      return readManifestUnverified(bytes);
    } catch (error) {
      if (isSwarmError(error)) throw new SwarmError(error.code, `${path}: ${error.message}`);
      throw error;
    }
  };
  return diffManifests(parse(older, olderPath), parse(newer, newerPath));
}

/** The commands, as one object so cli.ts stays a parser. */
export const commands = {
  keygen: (outDir: string, force: boolean): Promise<KeygenResult> => keygen(outDir, { force }),
  build,
  verify,
  sign,
  diff,
};
