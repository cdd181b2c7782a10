import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  MANIFEST_PAYLOAD_TYPE,
  MANIFEST_TYPE,
  SwarmError,
  fromBase64,
  generateKeyPair,
  importPrivateKeyPem,
  importPublicKeyPem,
  isErrorCode,
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

interface Pair {
  signer: SigningKey;
  trusted: TrustedKey;
}
async function pair(): Promise<Pair> {
  const p = await generateKeyPair();
  return { signer: await importPrivateKeyPem(p.privatePem), trusted: await importPublicKeyPem(p.publicPem) };
}

const NOW = new Date('2026-06-01T00:00:00Z');
let a: Pair;
let b: Pair;
let stranger: Pair;
let manifest: Manifest;

beforeAll(async () => {
  [a, b, stranger] = await Promise.all([pair(), pair(), pair()]);
  const content = utf8('hello world, this is two chunks at 1 KiB'.repeat(40));
  const chunks = [await sha256Sri(content.subarray(0, 1024)), await sha256Sri(content.subarray(1024))];
  manifest = {
    type: MANIFEST_TYPE,
    version: 7,
    issuedAt: '2026-05-01T00:00:00.000Z',
    expiresAt: '2026-07-01T00:00:00.000Z',
    chunkSize: 1024,
    files: { '/a%20b.txt': { size: content.length, contentType: 'text/plain', integrity: await sha256Sri(content), chunks } },
  };
});

async function envelopeOf(value: unknown, signers: SigningKey[]): Promise<string> {
  const bytes = value instanceof Uint8Array ? value : utf8(JSON.stringify(value));
  return JSON.stringify(await signEnvelope(MANIFEST_PAYLOAD_TYPE, bytes, signers));
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

describe('verifyManifest', () => {
  it('accepts a well-signed manifest and returns the exact signed bytes', async () => {
    const env = await envelopeOf(serializeManifest(manifest), [a.signer]);
    const result = await verifyManifest(env, { keys: [a.trusted], now: NOW, minVersion: 7 });
    expect(result.manifest).toEqual(manifest);
    expect(result.payload).toEqual(serializeManifest(manifest));
    expect(result.keyids).toEqual([a.trusted.keyid]);
  });

  it('names each failure with its own code', async () => {
    const good = await envelopeOf(serializeManifest(manifest), [a.signer]);
    const both = await envelopeOf(serializeManifest(manifest), [a.signer, b.signer]);
    const opts = { keys: [a.trusted], now: NOW };
    expect(await codeOf(verifyManifest(good, { ...opts, keys: [stranger.trusted] }))).toBe('MANIFEST_KEY_UNKNOWN');
    expect(await codeOf(verifyManifest(good, { ...opts, now: new Date('2026-07-01T00:00:00Z') }))).toBe('MANIFEST_EXPIRED');
    expect(await codeOf(verifyManifest(good, { ...opts, minVersion: 8 }))).toBe('MANIFEST_ROLLBACK');
    expect(await codeOf(verifyManifest(good, { ...opts, keys: [a.trusted, b.trusted], threshold: 2 }))).toBe('MANIFEST_THRESHOLD');
    expect(await codeOf(verifyManifest(both, { ...opts, keys: [a.trusted, b.trusted], threshold: 2 }))).toBe('ACCEPTED');
    // the same key twice does not count twice
    const twice = JSON.parse(good);
    twice.signatures.push(twice.signatures[0]);
    expect(await codeOf(verifyManifest(JSON.stringify(twice), { ...opts, keys: [a.trusted, b.trusted], threshold: 2 }))).toBe('MANIFEST_THRESHOLD');
    expect(await codeOf(verifyManifest(good, { ...opts, maxBytes: 100 }))).toBe('MANIFEST_TOO_LARGE');
    expect(await codeOf(verifyManifest('{"payloadType":"x","payload":"","signatures":[]}', opts))).toBe('MANIFEST_SIGNATURE_MISSING');
    expect(await codeOf(verifyManifest('{"payloadType":"' + MANIFEST_PAYLOAD_TYPE + '","payload":"e30="}', opts))).toBe('MANIFEST_SIGNATURE_MISSING');
    expect(await codeOf(verifyManifest('not json', opts))).toBe('MANIFEST_MALFORMED');
    expect(await codeOf(verifyManifest(new Uint8Array([0xff, 0xfe, 0x7b]), opts))).toBe('MANIFEST_MALFORMED');
    expect(await codeOf(verifyManifest(JSON.stringify({ ...JSON.parse(good), payloadType: 'application/json' }), opts))).toBe('MANIFEST_PAYLOAD_TYPE');
    expect(await codeOf(verifyManifest(good, { ...opts, threshold: 2 }))).toBe('CONFIG_INVALID');
  });

  it('refuses a payload with one flipped byte before parsing it', async () => {
    const env = JSON.parse(await envelopeOf(serializeManifest(manifest), [a.signer]));
    const payload = fromBase64(env.payload)!;
    payload[payload.length - 10]! ^= 0x01;
    env.payload = toBase64(payload);
    expect(await codeOf(verifyManifest(JSON.stringify(env), { keys: [a.trusted], now: NOW }))).toBe('MANIFEST_SIGNATURE_INVALID');
  });

  it('refuses validly signed manifests that break the format', async () => {
    const base = JSON.parse(new TextDecoder().decode(serializeManifest(manifest)));
    const file = base.files['/a%20b.txt'];
    const cases: Array<[string, unknown]> = [
      ['MANIFEST_PATH_INVALID', { ...base, files: { '/../etc/passwd': file } }],
      ['MANIFEST_PATH_INVALID', { ...base, files: { 'relative.txt': file } }],
      ['MANIFEST_PATH_INVALID', { ...base, files: { '/a b.txt': file } }],
      ['MANIFEST_MALFORMED', { ...base, type: 'swarmcdn/manifest@2' }],
      ['MANIFEST_MALFORMED', { ...base, version: 0 }],
      ['MANIFEST_MALFORMED', { ...base, version: 1.5 }],
      ['MANIFEST_MALFORMED', { ...base, chunkSize: 100 }],
      ['MANIFEST_MALFORMED', { ...base, expiresAt: 'tomorrow' }],
      ['MANIFEST_MALFORMED', { ...base, expiresAt: base.issuedAt }],
      ['MANIFEST_MALFORMED', { ...base, files: { '/a%20b.txt': { ...file, chunks: file.chunks.slice(1) } } }],
      ['MANIFEST_MALFORMED', { ...base, files: { '/a%20b.txt': { ...file, integrity: 'sha1-abc' } } }],
      ['MANIFEST_MALFORMED', { ...base, files: { '/a%20b.txt': { ...file, size: -1 } } }],
      ['MANIFEST_MALFORMED', { ...base, files: { '/a%20b.txt': { ...file, contentType: 'text/html\r\nSet-Cookie: x' } } }],
      ['MANIFEST_MALFORMED', [base]],
    ];
    for (const [code, value] of cases) {
      expect([code, await codeOf(verifyManifest(await envelopeOf(value, [a.signer]), { keys: [a.trusted], now: NOW }))]).toEqual([code, code]);
    }
  });

  it('turns any mangled envelope into a catalogue code, never a crash (seeded fuzz)', async () => {
    const text = await envelopeOf(serializeManifest(manifest), [a.signer]);
    const good = utf8(text);
    const payloadStart = text.indexOf('"payload":"') + 11;
    const payloadLength = JSON.parse(text).payload.length - 4; // keep the padding intact
    const B64 = utf8('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const codes = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const bytes = good.slice(0, rand(4) === 0 ? rand(good.length) : good.length);
      for (let k = 0, n = 1 + rand(4); k < n; k++) {
        // half the time a base64 character inside the payload, so the signature check is reached
        if (i % 2 === 0) bytes[payloadStart + rand(payloadLength)] = B64[rand(64)]!;
        else bytes[rand(bytes.length)] = rand(256);
      }
      try {
        await verifyManifest(bytes, { keys: [a.trusted], now: NOW });
        codes.add('ACCEPTED');
      } catch (error) {
        expect(error).toBeInstanceOf(SwarmError);
        expect(isErrorCode((error as SwarmError).code)).toBe(true);
        codes.add((error as SwarmError).code);
      }
    }
    expect(codes.has('MANIFEST_MALFORMED')).toBe(true);
    expect(codes.has('MANIFEST_SIGNATURE_INVALID')).toBe(true);
  });

  it('turns any mangled but validly signed payload into MALFORMED or PATH_INVALID (seeded fuzz)', async () => {
    const good = serializeManifest(manifest);
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = utf8('{}[]":,0123456789-/%.eE ');
    for (let i = 0; i < 150; i++) {
      const bytes = good.slice();
      for (let k = 0, n = 1 + rand(3); k < n; k++) bytes[rand(bytes.length)] = alphabet[rand(alphabet.length)]!;
      const code = await codeOf(verifyManifest(await envelopeOf(bytes, [a.signer]), { keys: [a.trusted], now: NOW }));
      expect(['ACCEPTED', 'MANIFEST_MALFORMED', 'MANIFEST_PATH_INVALID', 'MANIFEST_EXPIRED', 'MANIFEST_ROLLBACK']).toContain(code);
    }
  });
});
