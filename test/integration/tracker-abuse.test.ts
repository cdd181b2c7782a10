/**
 * Lying clients against the real server over real sockets (carried by signalling sockets, as pages
 * do). Each test is an attack that worked before the tracker weighed what clients say:
 * - reports: sockets from one address, or fresh identities, cannot quarantine an honest holder;
 *   peers of distinct networks that really paired with a bad peer (the server relayed their
 *   OFFER and ANSWER) and stayed long enough do quarantine it;
 * - stats: a peer's own word (2^40 uploaded) does not rank it first or add a TiB to
 *   /swarmcdn/stats; accomplices on one network vouching for it earn it one network's allowance,
 *   less than an honest peer that served two networks;
 * - have: made-up hashes are not stored, a peer holds at most maxHavePerPeer files, and a new
 *   manifest drops holdings of files it no longer lists.
 * Distinct networks are distinct /24s of the loopback (network-key.ts): 127.0.1.1, 127.0.2.1, …
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { DEFAULTS } from '../../server/options.js';
import { Client, SITE, eventually, hash, id, names, pair, publish, startServer } from './tracker-helpers.js';

const H = hash(1);
/** A manifest of 12,000 files: more than a peer may announce by default. */
const FILES = Array.from({ length: 12_000 }, (_, i) => hash(i + 1));
const MIN_AGE_MS = 400;
const CREDIT_PER_SECOND = 1_000_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  ({ app, url } = await startServer({ reportMinAgeMs: MIN_AGE_MS, creditBytesPerSecond: CREDIT_PER_SECOND, availabilityIntervalMs: 50 }));
  publish(app, FILES);
});
afterAll(() => app.close());

describe('reports', () => {
  it('three sockets from one address cannot quarantine an honest holder, even after pairing with it and waiting out the minimum age', async () => {
    const honest = await Client.joined(url, 'honest', { localAddress: '127.0.5.1' });
    await honest.have([H]);
    const asker = await Client.joined(url, 'asker', { localAddress: '127.0.6.1' });
    // One /24: 127.0.0.x.
    const sybils = await Promise.all([2, 3, 4].map((n) => Client.joined(url, `s${n}`, { localAddress: `127.0.0.${n}` })));
    for (const s of sybils) await s.report(id('honest'), H);
    await sleep(MIN_AGE_MS + 100);
    expect(names((await asker.want(H)).peers)).toEqual(['honest']);
    // Paired with it and old enough: still one network, one vote of the three needed.
    for (const s of sybils) await pair(s, honest);
    for (const s of sybils) await s.report(id('honest'), H);
    await sleep(MIN_AGE_MS + 100);
    expect(names((await asker.want(H)).peers)).toEqual(['honest']);
    expect(app.swarmcdn.store.tracker.isQuarantined(SITE, honest.id)).toBe(false);
  });

  it('fresh identities cannot quarantine: three networks that paired with it report and leave before the minimum age', async () => {
    const holder = await Client.joined(url, 'holder', { localAddress: '127.0.9.1' });
    await holder.have([H]);
    const asker = await Client.joined(url, 'asker', { localAddress: '127.0.6.1' });
    const fresh = await Promise.all([1, 2, 3].map((n) => Client.joined(url, `f${n}`, { localAddress: `127.0.${n}.1` })));
    for (const f of fresh) await pair(f, holder);
    for (const f of fresh) await f.report(id('holder'), H);
    for (const f of fresh) f.ws.terminate();
    await sleep(MIN_AGE_MS + 200);
    expect(names((await asker.want(H)).peers)).toEqual(['holder']);
  });

  it('a bad peer reported by peers of three networks that paired with it is quarantined once the reporters are old enough', async () => {
    const bad = await Client.joined(url, 'bad', { localAddress: '127.0.9.1' });
    const good = await Client.joined(url, 'good', { localAddress: '127.0.8.1' });
    await Promise.all([bad, good].map((c) => c.have([H])));
    const asker = await Client.joined(url, 'asker', { localAddress: '127.0.6.1' });
    const reporters = await Promise.all([1, 2, 3].map((n) => Client.joined(url, `r${n}`, { localAddress: `127.0.${n}.1` })));
    for (const r of reporters) await pair(bad, r);
    const reported = Date.now();
    for (const r of reporters) await r.report(id('bad'), H);
    // Young reporters: their reports wait ...
    expect(names((await asker.want(H)).peers).sort()).toEqual(['bad', 'good']);
    // ... and count once they are MIN_AGE_MS old.
    await eventually(async () => names((await asker.want(H)).peers).join() === 'good', MIN_AGE_MS + 2000, 'bad never quarantined');
    expect(Date.now() - reported).toBeGreaterThanOrEqual(MIN_AGE_MS - 200);
    expect(app.swarmcdn.store.tracker.isQuarantined(SITE, bad.id)).toBe(true);
  });
});

describe('stats', () => {
  it('a peer claiming 2^40 uploaded bytes is not ranked first, and adds no TiB to /swarmcdn/stats', async () => {
    const before = (await (await fetch(`${url}/swarmcdn/stats`)).json()) as { bytes: { peer: number; cache: number; origin: number } };
    const started = Date.now();
    const honest = await Client.joined(url, 'honest', { localAddress: '127.0.5.1' });
    const liar = await Client.joined(url, 'liar', { localAddress: '127.0.7.1' });
    await Promise.all([honest, liar].map((c) => c.have([H])));
    const receiver = await Client.joined(url, 'receiver', { localAddress: '127.0.2.1' });
    await pair(receiver, honest);
    await sleep(800);
    receiver.send({ type: 'stats', peer: 500_000, cache: 0, origin: 0, from: { [honest.id]: 500_000 } });
    await receiver.sync();
    const lie = 2 ** 40;
    liar.send({ type: 'stats', peer: lie, cache: lie, origin: lie, upload: lie, from: { [liar.id]: lie } });
    await liar.sync();
    const asker = await Client.joined(url, 'asker', { localAddress: '127.0.6.1' });
    for (let i = 0; i < 20; i++) expect(names((await asker.want(H)).peers)).toEqual(['honest', 'liar']);
    const after = (await (await fetch(`${url}/swarmcdn/stats`)).json()) as typeof before;
    // What any page could move since it joined: the default 125 MB/s per source, a little margin for the clock.
    const plausible = (DEFAULTS.tracker.statsBytesPerSecond * (Date.now() - started + 100)) / 1000;
    expect(after.bytes.peer - before.bytes.peer).toBeGreaterThanOrEqual(500_000);
    for (const source of ['peer', 'cache', 'origin'] as const) expect(after.bytes[source] - before.bytes[source]).toBeLessThan(plausible + 500_000);
  });

  it('accomplices on one network vouching for a liar earn it less than an honest peer served to two networks', async () => {
    const honest = await Client.joined(url, 'honest', { localAddress: '127.0.5.1' });
    const liar = await Client.joined(url, 'liar', { localAddress: '127.0.7.1' });
    await Promise.all([honest, liar].map((c) => c.have([H])));
    const receivers = await Promise.all([2, 3].map((n) => Client.joined(url, `r${n}`, { localAddress: `127.0.${n}.1` })));
    const accomplices = await Promise.all([1, 2, 3].map((n) => Client.joined(url, `c${n}`, { localAddress: `127.0.4.${n}` })));
    for (const r of receivers) await pair(r, honest);
    for (const c of accomplices) await pair(liar, c);
    await sleep(1500);
    for (const r of receivers) r.send({ type: 'stats', peer: 0, cache: 0, origin: 0, from: { [honest.id]: 1e12 } });
    for (const c of accomplices) c.send({ type: 'stats', peer: 0, cache: 0, origin: 0, from: { [liar.id]: 1e12 } });
    await Promise.all([...receivers, ...accomplices].map((c) => c.sync()));
    const asker = await Client.joined(url, 'asker', { localAddress: '127.0.6.1' });
    for (let i = 0; i < 20; i++) expect(names((await asker.want(H)).peers)).toEqual(['honest', 'liar']);
  });
});

describe('have', () => {
  it('stores no made-up hashes (3 sockets × 98,304), at most maxHavePerPeer real ones, and drops files a new manifest no longer lists', async () => {
    const made = Array.from({ length: 98_304 }, (_, i) => hash(1_000_000 + i));
    const sockets = await Promise.all([1, 2, 3].map((n) => Client.joined(url, `m${n}`)));
    for (const s of sockets) {
      for (let i = 0; i < made.length; i += 4096) s.send({ type: 'have', hashes: made.slice(i, i + 4096) });
      await s.sync();
    }
    const store = app.swarmcdn.store.tracker;
    expect(store.counts().contentEntries).toBe(0);
    for (const s of sockets) expect([...store.peerHashes(SITE, s.id)]).toEqual([]);

    // Every file of the 12,000-file manifest: the first maxHavePerPeer are kept, the socket stays open.
    const all = sockets[0]!;
    for (let i = 0; i < FILES.length; i += 4096) all.send({ type: 'have', hashes: FILES.slice(i, i + 4096) });
    await all.sync();
    expect([...store.peerHashes(SITE, all.id)].length).toBe(DEFAULTS.tracker.maxHavePerPeer);
    expect(store.counts().contentEntries).toBe(DEFAULTS.tracker.maxHavePerPeer);

    // A new manifest without most of them: within a tick or two, only the files still listed are held.
    const keep = FILES.slice(0, 10);
    try {
      publish(app, keep);
      await eventually(() => store.counts().contentEntries === keep.length, 2000, 'old holdings kept');
      expect([...store.peerHashes(SITE, all.id)].sort()).toEqual([...keep].sort());
      expect((await sockets[1]!.want(FILES[100]!)).holders).toBe(0);
    } finally {
      publish(app, FILES);
    }
  });
});
