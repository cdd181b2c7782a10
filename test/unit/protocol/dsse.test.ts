import { describe, expect, it } from '@jest/globals';
import { fromBase64, fromUtf8, generateKeyPair, importPrivateKeyPem, pae, parseEnvelope, signEnvelope, toBase64, utf8, verifyEnvelope, importPublicKeyPem } from '../../../protocol/index.js';

describe('DSSE', () => {
  it('builds the PAE exactly as the DSSE spec example', () => {
    expect(fromUtf8(pae('http://example.com/HelloWorld', utf8('hello world')))).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    // lengths are bytes, not characters
    expect(fromUtf8(pae('t', utf8('ü')))).toBe('DSSEv1 1 t 2 ü');
  });

  it('signs and verifies exact bytes with Ed25519, and a keyid is derived from the public key', async () => {
    const pair = await generateKeyPair();
    const signer = await importPrivateKeyPem(pair.privatePem);
    const trusted = await importPublicKeyPem(pair.publicPem);
    expect(signer.keyid).toBe(pair.keyid);
    expect(trusted.keyid).toBe(pair.keyid);
    expect(pair.keyid).toMatch(/^[0-9a-f]{64}$/);
    const payload = utf8('{"a":1}');
    const envelope = await signEnvelope('application/x-test', payload, [signer]);
    const roundTrip = parseEnvelope(JSON.stringify(envelope));
    const { payload: verified, keyids } = await verifyEnvelope(roundTrip, [trusted]);
    expect(fromUtf8(verified)).toBe('{"a":1}');
    expect(keyids).toEqual([pair.keyid]);
    // the payload type is authenticated too
    await expect(verifyEnvelope({ ...roundTrip, payloadType: 'application/x-other' }, [trusted])).rejects.toMatchObject({
      code: 'MANIFEST_SIGNATURE_INVALID',
    });
  });

  it('round-trips base64, standard and URL-safe, and refuses garbage', () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff);
    const b64 = toBase64(bytes);
    expect(fromBase64(b64)).toEqual(bytes);
    const urlSafe = b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(fromBase64(urlSafe)).toEqual(bytes);
    expect(fromBase64('not base64!')).toBeUndefined();
    expect(fromBase64('abcde')).toBeUndefined();
  });
});
