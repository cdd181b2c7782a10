/**
 * The SW's manifest store against a fake origin (no IndexedDB here: persistence fails quietly, as
 * it must): which manifests it routes by, and which it refuses and counts, by code; envelopes a
 * peer relays (adopted when newer, ignored when stale, refused with a code when bad); switches in
 * version order, each after its beforeSwitch.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  MANIFEST_PAYLOAD_TYPE,
  MANIFEST_TYPE,
  envelopeToJson,
  generateKeyPair,
  importPrivateKeyPem,
  importPublicKeyPem,
  serializeManifest,
  signEnvelope,
  type Manifest,
  type SigningKey,
  type TrustedKey,
} from '../../../protocol/index.js';
import { floorFor, ManifestStore, MANIFEST_STALE_MS, type ManifestStoreOptions } from '../../../sw/manifest-store.js';
import { SwStatsCounter } from '../../../sw/sw-stats.js';

let signer: SigningKey;
let trusted: TrustedKey;
let stranger: SigningKey;

beforeAll(async () => {
  const [p, q] = await Promise.all([generateKeyPair(), generateKeyPair()]);
  [signer, trusted, stranger] = await Promise.all([importPrivateKeyPem(p.privatePem), importPublicKeyPem(p.publicPem), importPrivateKeyPem(q.privatePem)]);
});

const DAY = 86_400_000;

function manifest(version: number, expiresInMs = DAY): Manifest {
  const now = Date.now();
  return {
    type: MANIFEST_TYPE,
    version,
    issuedAt: new Date(now - DAY).toISOString(),
    expiresAt: new Date(now + expiresInMs).toISOString(),
    chunkSize: 1024,
    files: {},
  };
}

async function signed(m: Manifest, key: SigningKey = signer): Promise<string> {
  return envelopeToJson(await signEnvelope(MANIFEST_PAYLOAD_TYPE, serializeManifest(m), [key]));
}

/** A store whose origin answers from a queue (a string body: 200; a number: that status). */
function storeWith(answers: (string | number)[], beforeSwitch?: ManifestStoreOptions['beforeSwitch']) {
  const stats = new SwStatsCounter();
  const versions: number[] = [];
  const fetched: RequestInit[] = [];
  const store = new ManifestStore({
    keys: Promise.resolve([trusted]),
    stats,
    beforeSwitch,
    onVersionChange: (m) => versions.push(m.version),
    fetch: async (_url, init) => {
      fetched.push(init ?? {});
      const next = answers.shift() ?? 404;
      return typeof next === 'number' ? new Response('{}', { status: next }) : new Response(next, { status: 200 });
    },
  });
  return { store, stats, versions, fetched, refusals: () => stats.snapshot(0).manifestRefusals };
}

describe('ManifestStore', () => {
  it('routes by a verified manifest, fetched without the HTTP cache', async () => {
    const { store, versions, fetched, refusals } = storeWith([await signed(manifest(3))]);
    await store.firstLoad;
    expect(store.version()).toBe(3);
    expect(store.current()?.version).toBe(3);
    expect(versions).toEqual([3]);
    expect(fetched[0]?.cache).toBe('no-cache');
    expect(refusals()).toEqual({});
  });

  it('refuses a rollback below the highest version accepted, and keeps the last good one', async () => {
    const { store, refusals } = storeWith([await signed(manifest(5)), await signed(manifest(4))]);
    await store.firstLoad;
    await store.refresh();
    expect(store.version()).toBe(5);
    expect(refusals()).toEqual({ MANIFEST_ROLLBACK: 1 });
  });

  it('refuses a manifest signed by a key it does not trust', async () => {
    const { store, refusals } = storeWith([await signed(manifest(2)), await signed(manifest(9), stranger)]);
    await store.firstLoad;
    await store.refresh();
    expect(store.version()).toBe(2);
    expect(refusals()).toEqual({ MANIFEST_KEY_UNKNOWN: 1 });
  });

  it('refuses an expired, malformed or unsigned manifest, counting each by its code', async () => {
    const { store, refusals } = storeWith([await signed(manifest(2, -1000)), 'not json at all', JSON.stringify({ payloadType: 'x', payload: '', signatures: [] })]);
    await store.firstLoad;
    await store.refresh();
    await store.refresh();
    expect(store.current()).toBeUndefined();
    expect(store.version()).toBe(0);
    expect(refusals()).toEqual({ MANIFEST_EXPIRED: 1, MANIFEST_MALFORMED: 1, MANIFEST_SIGNATURE_MISSING: 1 });
  });

  it('does not count a server with no manifest (404) as a refusal', async () => {
    const { store, refusals } = storeWith([404]);
    await store.firstLoad;
    expect(store.current()).toBeUndefined();
    expect(refusals()).toEqual({});
  });

  it('stops routing once the manifest it holds expires', async () => {
    const { store } = storeWith([await signed(manifest(2, 60_000))]);
    await store.firstLoad;
    expect(store.current()?.version).toBe(2);
    expect(store.current(Date.now() + 61_000)).toBeUndefined();
  });

  it('refreshes at a fetch only when the last check is over a minute old', async () => {
    const { store, fetched } = storeWith([await signed(manifest(2)), await signed(manifest(3))]);
    await store.firstLoad;
    expect(store.refreshIfStale()).toBeUndefined();
    await store.refreshIfStale(Date.now() + MANIFEST_STALE_MS + 1);
    expect(fetched).toHaveLength(2);
    expect(store.version()).toBe(3);
  });
});

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('ManifestStore: envelopes relayed by peers', () => {
  it('adopts a newer one, verified like the server\'s, and hands out its exact bytes', async () => {
    const { store, versions, refusals } = storeWith([await signed(manifest(1))]);
    await store.firstLoad;
    const v3 = utf8(await signed(manifest(3)));
    expect(await store.offer(v3)).toEqual({ kind: 'adopted', version: 3 });
    expect(store.version()).toBe(3);
    expect(versions).toEqual([1, 3]);
    expect(store.envelope()).toEqual({ version: 3, bytes: v3 });
    expect(refusals()).toEqual({});
  });

  it('ignores an equal, older or expired one (a race, a clock apart), without counting it', async () => {
    const { store, versions, refusals } = storeWith([await signed(manifest(4))]);
    await store.firstLoad;
    expect(await store.offer(utf8(await signed(manifest(4))))).toEqual({ kind: 'ignored' });
    expect(await store.offer(utf8(await signed(manifest(2))))).toEqual({ kind: 'ignored' });
    expect(await store.offer(utf8(await signed(manifest(9, -1000))))).toEqual({ kind: 'ignored' });
    expect(store.version()).toBe(4);
    expect(versions).toEqual([4]);
    expect(refusals()).toEqual({});
  });

  it('refuses a forged, broken or malformed one with its code, counted, and keeps the current one', async () => {
    const { store, refusals } = storeWith([await signed(manifest(2))]);
    await store.firstLoad;
    expect(await store.offer(utf8(await signed(manifest(5), stranger)))).toEqual({ kind: 'refused', code: 'MANIFEST_KEY_UNKNOWN' });
    const good = JSON.parse(await signed(manifest(5))) as { signatures: { keyid: string; sig: string }[] };
    const broken = { ...good, signatures: [{ keyid: good.signatures[0]!.keyid, sig: `AAAA${good.signatures[0]!.sig.slice(4)}` }] };
    expect(await store.offer(utf8(JSON.stringify(broken)))).toEqual({ kind: 'refused', code: 'MANIFEST_SIGNATURE_INVALID' });
    expect(await store.offer(utf8('{"not": "an envelope"'))).toEqual({ kind: 'refused', code: 'MANIFEST_MALFORMED' });
    expect(store.version()).toBe(2);
    expect(refusals()).toEqual({ MANIFEST_KEY_UNKNOWN: 1, MANIFEST_SIGNATURE_INVALID: 1, MANIFEST_MALFORMED: 1 });
  });

  it('an older envelope the server still answers never undoes a newer one a peer relayed', async () => {
    const v1 = await signed(manifest(1));
    const { store } = storeWith([v1, v1]);
    await store.firstLoad;
    await store.offer(utf8(await signed(manifest(3))));
    await store.refresh();
    expect(store.version()).toBe(3);
  });

  it('runs beforeSwitch with the old and new manifests before the new one is current, one switch at a time, in version order', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { store, versions } = storeWith([await signed(manifest(1))], async (previous, next) => {
      seen.push(`${previous?.version ?? 0}->${next.version} while current ${store.version()}`);
      if (next.version === 3) await held;
    });
    await store.firstLoad;
    const three = store.offer(utf8(await signed(manifest(3))));
    const two = store.offer(utf8(await signed(manifest(2))));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // v3 waits in its beforeSwitch: v1 still routes, and v2 waits its turn.
    expect(store.version()).toBe(1);
    release();
    expect(await three).toEqual({ kind: 'adopted', version: 3 });
    expect(await two).toEqual({ kind: 'ignored' });
    expect(seen).toEqual(['0->1 while current 0', '1->3 while current 1']);
    expect(versions).toEqual([1, 3]);
  });
});

describe('floorFor', () => {
  it('carries the rollback floor over while a trusted key is shared with the one it was reached under', () => {
    expect(floorFor({ version: 7, keyids: ['a', 'b'] }, ['b', 'c'])).toBe(7);
  });

  it('starts a key set that shares no key with the stored one from 0', () => {
    expect(floorFor({ version: 7, keyids: ['a'] }, ['c'])).toBe(0);
  });

  it('reads anything malformed as no floor', () => {
    for (const stored of [undefined, null, 7, { version: -1, keyids: ['a'] }, { version: 1.5, keyids: ['a'] }, { version: 3 }, { keyids: ['a'] }]) {
      expect(floorFor(stored, ['a'])).toBe(0);
    }
  });
});
