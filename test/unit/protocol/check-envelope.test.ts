/**
 * The signer's side of verification: `checkBeforeSigning` / `checkManifestEnvelope` refuse exactly
 * what `verifyManifest` refuses (same codes) and size the envelope exactly before it is signed;
 * and base64 handles manifest-sized payloads (a regex once overflowed V8's stack past ~8 MB).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  DEFAULT_MAX_ENVELOPE_BYTES,
  MANIFEST_PAYLOAD_TYPE,
  MANIFEST_TYPE,
  MAX_SIGNATURES,
  MAX_URL_PATH_LENGTH,
  SwarmError,
  checkBeforeSigning,
  checkManifestEnvelope,
  envelopeToJson,
  fromBase64,
  generateKeyPair,
  importPrivateKeyPem,
  importPublicKeyPem,
  serializeManifest,
  sha256Sri,
  signEnvelope,
  toBase64,
  utf8,
  verifyManifest,
  type Manifest,
  type SigningKey,
  type TrustedKey,
} from '../../../protocol/index.js';

const NOW = new Date('2026-06-01T00:00:00Z');
let signer: SigningKey;
let trusted: TrustedKey;
let manifest: Manifest;

beforeAll(async () => {
  const pair = await generateKeyPair();
  signer = await importPrivateKeyPem(pair.privatePem);
  trusted = await importPublicKeyPem(pair.publicPem);
  const content = utf8('x'.repeat(1500));
  manifest = {
    type: MANIFEST_TYPE,
    version: 3,
    issuedAt: '2026-05-01T00:00:00.000Z',
    expiresAt: '2026-07-01T00:00:00.000Z',
    chunkSize: 1024,
    files: {
      '/a.txt': { size: 1500, contentType: 'text/plain', integrity: await sha256Sri(content), chunks: [await sha256Sri(content.subarray(0, 1024)), await sha256Sri(content.subarray(1024))] },
    },
  };
});

function codeOfSync(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof SwarmError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SwarmError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

/** A manifest with a file at `path` (same entry as /a.txt). */
function withPath(path: string): Manifest {
  return { ...manifest, files: { [path]: manifest.files['/a.txt']! } };
}

describe('checkBeforeSigning', () => {
  it('sizes the envelope exactly: the cap is met to the byte by the signed envelope', async () => {
    for (const signers of [1, 2, 5]) {
      const payload = serializeManifest(manifest);
      const keys = Array.from({ length: signers }, () => signer);
      const signed = envelopeToJson(await signEnvelope(MANIFEST_PAYLOAD_TYPE, payload, keys));
      const keyids = keys.map((k) => k.keyid);
      expect(codeOfSync(() => checkBeforeSigning(payload, keyids, { now: NOW, maxBytes: signed.length }))).toBe('ACCEPTED');
      expect(codeOfSync(() => checkBeforeSigning(payload, keyids, { now: NOW, maxBytes: signed.length - 1 }))).toBe('MANIFEST_TOO_LARGE');
    }
  });

  it('refuses what verifyManifest refuses, with the same code', async () => {
    const long = '/' + 'a'.repeat(MAX_URL_PATH_LENGTH); // 4,097 characters
    const cases: Array<[string, Manifest, number, number | undefined]> = [
      // [expected code, manifest, signatures, maxBytes]
      ['ACCEPTED', manifest, 1, undefined],
      ['ACCEPTED', withPath('/' + 'a'.repeat(MAX_URL_PATH_LENGTH - 1)), 1, undefined],
      ['MANIFEST_PATH_INVALID', withPath(long), 1, undefined],
      ['MANIFEST_PATH_INVALID', withPath('/' + '%E4%B8%AD'.repeat(456)), 1, undefined],
      ['MANIFEST_TOO_LARGE', manifest, 1, 600],
      ['MANIFEST_MALFORMED', manifest, MAX_SIGNATURES + 1, undefined],
      ['ACCEPTED', manifest, MAX_SIGNATURES, undefined],
      ['MANIFEST_MALFORMED', { ...manifest, version: 2 ** 53 }, 1, undefined],
      ['MANIFEST_MALFORMED', { ...manifest, expiresAt: '+010000-01-01T00:00:00.000Z' }, 1, undefined],
      ['MANIFEST_MALFORMED', { ...manifest, expiresAt: manifest.issuedAt }, 1, undefined],
      ['MANIFEST_MALFORMED', { ...manifest, pages: { '/a.txt': ['/missing.css'] } }, 1, undefined],
      ['MANIFEST_EXPIRED', { ...manifest, expiresAt: '2026-05-15T00:00:00.000Z' }, 1, undefined],
    ];
    for (const [code, m, signatures, maxBytes] of cases) {
      const payload = serializeManifest(m);
      const keys = Array.from({ length: signatures }, () => signer);
      const before = codeOfSync(() => checkBeforeSigning(payload, keys.map((k) => k.keyid), { now: NOW, maxBytes }));
      const signed = envelopeToJson(await signEnvelope(MANIFEST_PAYLOAD_TYPE, payload, keys));
      const verified = await codeOf(verifyManifest(signed, { keys: [trusted], now: NOW, maxBytes }));
      const after = codeOfSync(() => checkManifestEnvelope(signed, { now: NOW, maxBytes }));
      expect([code, before, after]).toEqual([code, verified, verified]);
    }
  });

  it('names the size, and the length of a path over the cap', () => {
    const payload = serializeManifest(withPath('/' + 'b'.repeat(5000)));
    try {
      checkBeforeSigning(payload, [signer.keyid], { now: NOW });
      throw new Error('accepted');
    } catch (error) {
      expect((error as SwarmError).message).toMatch(/5001 characters percent-encoded, over the 4096 cap/);
    }
    try {
      checkBeforeSigning(serializeManifest(manifest), [signer.keyid], { now: NOW, maxBytes: 100 });
      throw new Error('accepted');
    } catch (error) {
      expect((error as SwarmError).details).toMatchObject({ maxBytes: 100, size: expect.any(Number) });
    }
  });
});

describe('base64 of manifest-sized payloads', () => {
  it('round-trips every length and matches Node for small inputs', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7919 + (i >> 3)) & 255);
    for (let n = 0; n <= 300; n++) {
      const slice = bytes.subarray(0, n);
      const text = toBase64(slice);
      expect(text).toBe(Buffer.from(slice).toString('base64'));
      expect(fromBase64(text)).toEqual(slice);
    }
    expect(fromBase64('A===')).toBeUndefined();
    expect(fromBase64('AA=A')).toBeUndefined();
    expect(fromBase64('AAAA$')).toBeUndefined();
    expect(fromBase64('-_8')).toEqual(Uint8Array.from([0xfb, 0xff]));
  });

  it('verifies a signed manifest whose payload is 20 MB of base64 (no stack overflow)', async () => {
    const files: Record<string, Manifest['files'][string]> = {};
    const entry = manifest.files['/a.txt']!;
    for (let i = 0; i < 3_000; i++) files[`/${String(i).padStart(4, '0')}-${'n'.repeat(4_000)}`] = entry;
    const big: Manifest = { ...manifest, files };
    const signed = envelopeToJson(await signEnvelope(MANIFEST_PAYLOAD_TYPE, serializeManifest(big), [signer]));
    expect(signed.length).toBeGreaterThan(15_000_000);
    expect(signed.length).toBeLessThan(DEFAULT_MAX_ENVELOPE_BYTES);
    const { manifest: back } = await verifyManifest(signed, { keys: [trusted], now: NOW });
    expect(Object.keys(back.files)).toHaveLength(3_000);
  });
});
