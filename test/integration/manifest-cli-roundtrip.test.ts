/**
 * The manifest CLI as real processes over real files, checked by the protocol verifier the service
 * worker runs: a build verifies in-process and its hashes match WebCrypto over the actual bytes;
 * a changed tree, a tampered payload, a wrong key, expiry, rollback and thresholds fail with their codes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importPublicKeyPem, sha256Sri, toBase64, utf8, verifyManifest, type Envelope, type TrustedKey } from '../../protocol/index.js';
import { TempDirs, assertCliBuilt, bytesOf, keygen, readEnvelope, swarmcdnJson, writeTree, type KeyFiles } from '../support/cli.js';

const CHUNK = 1024;
// URL path → bytes. ASCII names, so each URL path is '/' + the relative path.
const SITE: Record<string, Uint8Array> = {
  '/index.html': utf8('<!doctype html><title>swarmcdn</title><p>hello</p>\n'.repeat(6)),
  '/app.js': bytesOf(3 * CHUNK + 17, 2),
  '/img/logo.png': bytesOf(2 * CHUNK, 3),
  '/css/site.css': bytesOf(CHUNK, 4),
  '/data/deep/tree/blob.bin': bytesOf(5 * CHUNK - 1, 5),
};

interface VerifyJson {
  valid: boolean;
  code?: string;
  keyids?: string[];
  manifest?: { version: number; files: number };
  tree?: { changed: string[]; missing: string[]; unlisted: string[]; checkedFiles: number };
}

const dirs = new TempDirs();
let root: string;
let site: string;
let manifestPath: string;
let a: KeyFiles;
let b: KeyFiles;
let trustedA: TrustedKey;

/** A copy of the built site (manifest included) that a test may change. */
async function siteCopy(name: string): Promise<string> {
  const copy = join(root, name);
  await cp(site, copy, { recursive: true });
  return copy;
}

async function writeEnvelope(name: string, envelope: Envelope): Promise<string> {
  const path = join(root, name);
  await writeFile(path, JSON.stringify(envelope));
  return path;
}

beforeAll(async () => {
  assertCliBuilt();
  root = await dirs.make();
  site = join(root, 'site');
  [a, b] = await Promise.all([keygen(join(root, 'keys-a')), keygen(join(root, 'keys-b'))]);
  await writeTree(site, Object.fromEntries(Object.entries(SITE).map(([url, bytes]) => [url.slice(1), bytes])));
  const run = await swarmcdnJson<{ out: string; version: number; keyids: string[]; files: number }>([
    'manifest', 'build', site, '--key', a.key, '--chunk-size', String(CHUNK),
  ]);
  expect(run.code).toBe(0);
  expect(run.json).toMatchObject({ version: 1, keyids: [a.keyid], files: Object.keys(SITE).length });
  manifestPath = run.json.out;
  expect(manifestPath).toBe(join(site, 'swarmcdn-manifest.json'));
  trustedA = await importPublicKeyPem(await readFile(a.pub, 'utf8'));
});

afterAll(() => dirs.cleanup());

describe('round trip: keygen → build → the service worker verifier', () => {
  it('verifyManifest accepts the envelope file exactly as written, signed by the generated key', async () => {
    const verified = await verifyManifest(await readFile(manifestPath), { keys: [trustedA], threshold: 1, now: new Date(), minVersion: 1 });
    expect(verified.keyids).toEqual([a.keyid]);
    expect(verified.manifest.version).toBe(1);
    expect(verified.manifest.chunkSize).toBe(CHUNK);
    expect(Object.keys(verified.manifest.files).sort()).toEqual(Object.keys(SITE).sort());
  });

  it('every integrity and chunk hash equals WebCrypto SHA-256 over the bytes on disk, sliced at chunkSize', async () => {
    const { manifest } = await verifyManifest(await readFile(manifestPath), { keys: [trustedA] });
    for (const [url, entry] of Object.entries(manifest.files)) {
      const bytes = new Uint8Array(await readFile(join(site, ...url.slice(1).split('/'))));
      const chunks = [];
      for (let at = 0; at < bytes.length; at += manifest.chunkSize) chunks.push(await sha256Sri(bytes.subarray(at, at + manifest.chunkSize)));
      expect({ url, size: entry.size, integrity: entry.integrity, chunks: entry.chunks }).toEqual({
        url,
        size: bytes.length,
        integrity: await sha256Sri(bytes),
        chunks,
      });
    }
    expect(manifest.files['/app.js']!.chunks).toHaveLength(4);
    expect(manifest.files['/data/deep/tree/blob.bin']!.chunks).toHaveLength(5);
  });

  it('hashing on the calling thread (--threads 0) and on worker threads sign the same file entries', async () => {
    const out = join(root, 'single-thread.json');
    const run = await swarmcdnJson(['manifest', 'build', site, '--key', a.key, '--chunk-size', String(CHUNK), '--threads', '0', '--out', out]);
    expect(run.code).toBe(0);
    const [single, pooled] = await Promise.all([readEnvelope(out), readEnvelope(manifestPath)]);
    // The tree now also holds the first manifest at the default place: never listed, even with --out elsewhere.
    expect(single.manifest.files['/swarmcdn-manifest.json']).toBeUndefined();
    expect(single.manifest.files).toEqual(pooled.manifest.files);
  });

  it('verify --dir over the untouched tree is valid and checks every file', async () => {
    const run = await swarmcdnJson<VerifyJson>(['manifest', 'verify', manifestPath, '--pub', a.pub, '--dir', site]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ valid: true, keyids: [a.keyid], manifest: { version: 1, files: Object.keys(SITE).length } });
    expect(run.json.tree).toMatchObject({ changed: [], missing: [], unlisted: [], checkedFiles: Object.keys(SITE).length });
  });
});

describe('verify --dir names exactly what differs', () => {
  const verifyDir = (dir: string) =>
    swarmcdnJson<VerifyJson>(['manifest', 'verify', join(dir, 'swarmcdn-manifest.json'), '--pub', a.pub, '--dir', dir]);

  it('one flipped byte (same size) in one chunk of one file → that path in changed, MANIFEST_TREE_MISMATCH', async () => {
    const dir = await siteCopy('flipped');
    const path = join(dir, 'app.js');
    const bytes = await readFile(path);
    bytes[2 * CHUNK + 5]! ^= 0x01;
    await writeFile(path, bytes);
    const run = await verifyDir(dir);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ valid: false, code: 'MANIFEST_TREE_MISMATCH' });
    expect(run.json.tree).toMatchObject({ changed: ['/app.js'], missing: [], unlisted: [] });
  });

  it('a deleted file → missing; a new file → unlisted', async () => {
    const dir = await siteCopy('edited');
    await rm(join(dir, 'img', 'logo.png'));
    await writeTree(dir, { 'img/new.svg': '<svg/>' });
    const run = await verifyDir(dir);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ valid: false, code: 'MANIFEST_TREE_MISMATCH' });
    expect(run.json.tree).toMatchObject({ changed: [], missing: ['/img/logo.png'], unlisted: ['/img/new.svg'] });
  });
});

describe('a payload changed after signing is refused', () => {
  /** Replaces the character `offset` after `marker` in the payload with a different one of its kind, keeping the signature. */
  async function tampered(marker: string, offset: number): Promise<Envelope> {
    const { envelope } = await readEnvelope(manifestPath);
    const text = Buffer.from(envelope.payload, 'base64').toString('utf8');
    const at = text.indexOf(marker) + marker.length + offset;
    expect(text.indexOf(marker)).toBeGreaterThanOrEqual(0);
    const old = text[at]!;
    const replacement = /\d/.test(old) ? String((Number(old) + 1) % 10) : old === 'A' ? 'B' : 'A';
    return { ...envelope, payload: toBase64(utf8(text.slice(0, at) + replacement + text.slice(at + 1))) };
  }

  it.each([
    ['the version', '"version":', 0],
    ['a digit of expiresAt', '"expiresAt":"', 3],
    ['a character of a file hash', '"integrity":"sha256-', 10],
    ['a character of a chunk hash', '"chunks":["sha256-', 20],
  ])('%s → exit 1, MANIFEST_SIGNATURE_INVALID (CLI and in-process verifier agree)', async (_what, marker, offset) => {
    const envelope = await tampered(marker, offset);
    const path = await writeEnvelope(`tampered-${offset}.json`, envelope);
    const run = await swarmcdnJson<VerifyJson>(['manifest', 'verify', path, '--pub', a.pub]);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ valid: false, code: 'MANIFEST_SIGNATURE_INVALID' });
    await expect(verifyManifest(JSON.stringify(envelope), { keys: [trustedA] })).rejects.toMatchObject({ code: 'MANIFEST_SIGNATURE_INVALID' });
  });

  it('one raw bit flipped anywhere in the payload bytes → MANIFEST_SIGNATURE_INVALID', async () => {
    const { envelope } = await readEnvelope(manifestPath);
    const payload = Buffer.from(envelope.payload, 'base64');
    payload[Math.floor(payload.length / 2)]! ^= 0x04;
    const path = await writeEnvelope('bitflip.json', { ...envelope, payload: payload.toString('base64') });
    const run = await swarmcdnJson<VerifyJson>(['manifest', 'verify', path, '--pub', a.pub]);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ valid: false, code: 'MANIFEST_SIGNATURE_INVALID' });
  });
});

describe('keys, expiry, rollback and thresholds', () => {
  const verify = (file: string, ...flags: string[]) => swarmcdnJson<VerifyJson>(['manifest', 'verify', file, ...flags]);

  it('a different key pair → MANIFEST_KEY_UNKNOWN, exit 1', async () => {
    const run = await verify(manifestPath, '--pub', b.pub);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ valid: false, code: 'MANIFEST_KEY_UNKNOWN' });
  });

  it('built with --expires 1h: valid 59 minutes in, MANIFEST_EXPIRED two hours in', async () => {
    const out = join(root, 'expiring.json');
    expect((await swarmcdnJson(['manifest', 'build', site, '--key', a.key, '--chunk-size', String(CHUNK), '--expires', '1h', '--out', out])).code).toBe(0);
    const { manifest } = await readEnvelope(out);
    const issued = Date.parse(manifest.issuedAt);
    expect(Date.parse(manifest.expiresAt) - issued).toBe(3_600_000);
    const at = (minutes: number) => new Date(issued + minutes * 60_000).toISOString();

    expect((await verify(out, '--pub', a.pub, '--now', at(59))).json).toMatchObject({ valid: true });
    const expired = await verify(out, '--pub', a.pub, '--now', at(120));
    expect(expired.code).toBe(1);
    expect(expired.json).toMatchObject({ valid: false, code: 'MANIFEST_EXPIRED' });
    await expect(verifyManifest(await readFile(out), { keys: [trustedA], now: new Date(at(120)) })).rejects.toMatchObject({
      code: 'MANIFEST_EXPIRED',
    });
  });

  it('--min-version above the manifest version → MANIFEST_ROLLBACK; equal to it → valid', async () => {
    const rollback = await verify(manifestPath, '--pub', a.pub, '--min-version', '2');
    expect(rollback.code).toBe(1);
    expect(rollback.json).toMatchObject({ valid: false, code: 'MANIFEST_ROLLBACK' });
    const same = await verify(manifestPath, '--pub', a.pub, '--min-version', '1');
    expect(same.code).toBe(0);
    expect(same.json).toMatchObject({ valid: true });
  });

  it('threshold 2 with one signature → MANIFEST_THRESHOLD; after `manifest sign` with the second key → valid', async () => {
    const file = join(root, 'cosigned.json');
    await cp(manifestPath, file);
    const before = await verify(file, '--pub', a.pub, '--pub', b.pub, '--threshold', '2');
    expect(before.code).toBe(1);
    expect(before.json).toMatchObject({ valid: false, code: 'MANIFEST_THRESHOLD' });

    const sign = await swarmcdnJson(['manifest', 'sign', file, '--key', b.key]);
    expect(sign.code).toBe(0);
    expect(sign.json).toMatchObject({ keyids: [b.keyid], signatures: 2 });
    const { envelope } = await readEnvelope(file);
    expect(envelope.payload).toBe((await readEnvelope(manifestPath)).envelope.payload); // co-signing never re-serializes

    const after = await verify(file, '--pub', a.pub, '--pub', b.pub, '--threshold', '2');
    expect(after.code).toBe(0);
    expect(after.json).toMatchObject({ valid: true });
    expect([...after.json.keyids!].sort()).toEqual([a.keyid, b.keyid].sort());
    const trustedB = await importPublicKeyPem(await readFile(b.pub, 'utf8'));
    const verified = await verifyManifest(await readFile(file), { keys: [trustedA, trustedB], threshold: 2 });
    expect(verified.keyids).toHaveLength(2);
  });

  it('two --key flags on build sign with both keys at once', async () => {
    const out = join(root, 'two-keys.json');
    const run = await swarmcdnJson(['manifest', 'build', site, '--key', a.key, '--key', b.key, '--chunk-size', String(CHUNK), '--out', out]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ keyids: [a.keyid, b.keyid] });
    expect((await verify(out, '--pub', a.pub, '--pub', b.pub, '--threshold', '2')).json).toMatchObject({ valid: true });
  });
});
