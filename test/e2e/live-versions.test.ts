/**
 * Live manifest versions in real Chromium. The server publishes a new signed manifest in which a
 * file's content changed (same size, other bytes: the hard case for any cache keyed by URL or
 * checked by length); the tracker pushes it, every open visitor's SW switches, and each serves the
 * new bytes, none the old, although one of them holds the old bytes fresh in its HTTP cache (it
 * loaded them from the origin a moment before) and another holds their chunks in IndexedDB.
 *
 * Then a visitor two versions behind that missed the server's push (the server answers its
 * manifest requests with an old envelope: a test hook keyed on its user agent) catches up from a
 * peer: once it connects to one, it switches straight to the newest version (the SW's envelope
 * messages in its page show the versions it went through) and serves the new bytes. An envelope
 * relayed as from a peer that does not verify is refused by the SW, counted, and drops that peer.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { signedByStranger } from './support/envelopes.js';
import { checkBody, useE2e } from './support/env.js';
import { PATHS, sha256Hex, type SiteFile } from './support/site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';

/** Changed in version 2; its old bytes sit fresh in A's HTTP cache (max-age=300) and in B's IndexedDB. */
const CHANGED = PATHS.images[2];
/** Changed in versions 3 and 4. */
const CHANGED_LATER = PATHS.images[1];
/** Never changed: what visitors get from each other, so they connect. */
const UNCHANGED = PATHS.images[3];

const e2e = useE2e();

/** Overwrites a site file with bytes of the same length that differ in every byte (XOR `mask`); the file as it is now. */
async function rewrite(path: string, mask: number): Promise<SiteFile> {
  const { site } = e2e();
  const old = await site.bytes(path);
  const fresh = Buffer.from(old.map((b) => b ^ mask));
  await writeFile(join(site.dir, ...path.slice(1).split('/')), fresh);
  return { path, size: fresh.length, sha256: sha256Hex(fresh) };
}

/** Signs the next version and waits until the server publishes it. */
async function publish(): Promise<number> {
  const { server, site } = e2e();
  const version = await site.publish();
  await waitFor(() => server.published().version, (v) => v === version, { timeoutMs: 15_000, what: `the server to publish v${version}` });
  return version;
}

/** Waits until the visitor's SW routes by `version`. */
async function onVersion(visitor: Visitor, version: number): Promise<void> {
  await visitor.waitForStats((s) => s.sw?.manifestVersion === version, `its SW to switch to v${version}`, 30_000);
}

it('a new version: every open visitor serves the new bytes, none the old ones, with the old bytes in its HTTP cache or IndexedDB', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a');
    // A loads both from the origin (its HTTP cache keeps them fresh for 5 minutes) and holds them.
    await e2e().seed(a, [CHANGED, UNCHANGED]);
    const b = await e2e().visitor('b');
    const c = await e2e().visitor('c');
    for (const v of [a, b, c]) expect((await v.sw()).manifestVersion).toBe(1);
    // B gets CHANGED from A: its chunks are in B's IndexedDB.
    const bBefore = await b.sw();
    checkBody(await b.fetch(CHANGED), e2e().file(CHANGED), 'b fetching the first version of the changed file');
    expect((await b.sw()).bytes.peer - bBefore.bytes.peer).toBe(e2e().file(CHANGED).size);

    const changed = await rewrite(CHANGED, 0x3c);
    expect(changed.size).toBe(e2e().file(CHANGED).size);
    const mark = server.requests.mark();
    expect(await publish()).toBe(2);
    // The tracker's push, and nothing else, tells the open pages.
    for (const v of [a, b, c]) await onVersion(v, 2);

    for (const v of [a, b, c]) {
      checkBody(await v.fetch(CHANGED), changed, `${v.name} fetching ${CHANGED} after the switch`);
      checkBody(await v.fetch(CHANGED), changed, `${v.name} fetching ${CHANGED} again`);
      checkBody(await v.fetch(UNCHANGED), e2e().file(UNCHANGED), `${v.name} fetching the unchanged ${UNCHANGED}`);
    }
    // A's fresh entry was revalidated before its SW switched (a conditional request for that path).
    expect(server.requests.count({ visitor: 'a', path: CHANGED, after: mark })).toBeGreaterThanOrEqual(1);
  });
}, 180_000);

it('a visitor two versions behind that missed the push catches up from a peer in one step, and serves the new bytes', async () => {
  const { server, browser } = e2e();
  await e2e().run(async () => {
    const [a, b, c] = browser.visitors;
    if (!a || !b || !c) throw new Error('the first test opens a, b and c');
    const behind = server.published();
    // D records every envelope its SW hands the page (version 0: none).
    const d = await browser.visitor('d');
    await d.page.addInitScript(() => {
      const seen: number[] = [];
      (window as unknown as { envelopeVersions: number[] }).envelopeVersions = seen;
      navigator.serviceWorker?.addEventListener('message', (event: MessageEvent) => {
        const data = event.data as { type?: unknown; version?: unknown } | null;
        if (data?.type === 'swarmcdn/envelope' && typeof data.version === 'number') seen.push(data.version);
      });
    });
    await d.open(server.url);
    await d.ready();
    expect((await d.sw()).manifestVersion).toBe(behind.version);
    const envelopeVersions = (): Promise<number[]> => d.page.evaluate(() => [...(window as unknown as { envelopeVersions: number[] }).envelopeVersions]);
    await waitFor(envelopeVersions, (seen) => seen.includes(behind.version), { timeoutMs: 15_000, what: 'd\'s core to get its SW\'s envelope' });

    // From now on the server answers D's manifest requests with the envelope D already has.
    server.overrideManifestFor('d', behind.envelopeJson);
    const mark = server.requests.mark();
    await rewrite(CHANGED_LATER, 0x55);
    const v3 = await publish();
    for (const v of [a, b, c]) await onVersion(v, v3);
    const latest = await rewrite(CHANGED_LATER, 0x0f);
    const v4 = await publish();
    expect(v4).toBe(behind.version + 2);
    for (const v of [a, b, c]) await onVersion(v, v4);
    // D heard the pushes and asked the server, which answered it the old envelope: D is two behind.
    await waitFor(() => server.requests.count({ visitor: 'd', path: '/swarmcdn/manifest', after: mark }), (n) => n >= 1, {
      timeoutMs: 15_000,
      what: 'd to ask the server for the manifest after a push',
    });
    expect((await d.sw()).manifestVersion).toBe(behind.version);

    // D connects to a peer for a file both versions list alike; the peer hands it the newest envelope.
    const dBefore = await d.sw();
    checkBody(await d.fetch(UNCHANGED), e2e().file(UNCHANGED), 'd fetching the unchanged file from a peer');
    expect((await d.sw()).bytes.peer - dBefore.bytes.peer).toBe(e2e().file(UNCHANGED).size);
    await onVersion(d, v4);
    const seen = await envelopeVersions();
    expect([...new Set(seen)]).toEqual([behind.version, v4]);
    expect((await d.sw()).manifestRefusals).toEqual({});

    // Every open visitor serves the newest bytes, D included, byte for byte.
    for (const v of [a, b, c, d]) checkBody(await v.fetch(CHANGED_LATER), latest, `${v.name} fetching ${CHANGED_LATER} at v${v4}`);
    server.overrideManifestFor('d', undefined);
  });
}, 180_000);

it('an envelope relayed as from a peer that does not verify is refused by the SW and drops that peer; the version stays', async () => {
  const { server, browser } = e2e();
  await e2e().run(async () => {
    const d = browser.visitors.find((v) => v.name === 'd');
    if (!d) throw new Error('the second test opens d');
    const before = await d.stats();
    const peerId = Object.keys(before.bytesByPeer)[0];
    if (!peerId || !before.sw) throw new Error(`d has no peer it got bytes from: ${JSON.stringify(before)}`);
    const version = before.sw.manifestVersion;
    const forged = await signedByStranger(server.published().envelopeJson, version + 1);
    // What d's bridge does with a whole envelope from a peer: hand it to the SW as that peer's.
    await d.page.evaluate(
      ({ text, peerId }) => {
        const bytes = new TextEncoder().encode(text).buffer;
        navigator.serviceWorker.controller!.postMessage({ type: 'swarmcdn/peer-envelope', peerId, bytes }, [bytes]);
      },
      { text: forged, peerId },
    );
    const after = await d.waitForStats((s) => s.droppedPeers > before.droppedPeers, `the peer ${peerId} dropped`, 15_000);
    expect(after.droppedPeers - before.droppedPeers).toBe(1);
    expect(after.sw!.manifestRefusals).toEqual({ MANIFEST_KEY_UNKNOWN: 1 });
    expect(after.sw!.manifestVersion).toBe(version);
  });
}, 60_000);
