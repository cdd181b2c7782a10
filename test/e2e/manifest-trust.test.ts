/**
 * The SW believes only manifests its baked key signed, and never goes back in version. The server
 * publishes v2; then /swarmcdn/manifest is made to answer a manifest signed by another key, one with
 * a broken signature, and the captured v1. The SW refuses each (counted by code), keeps routing
 * with v2, and manifest assets still come back correct through it — from its cache, and from it as
 * a peer to a new visitor. The rollback floor is persisted: a restarted SW still refuses v1.
 */
import { expect, it } from '@jest/globals';
import type { ErrorCode } from '../../protocol/index.js';
import { signedByStranger, versionOf, withBrokenSignature } from './support/envelopes.js';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';

const ASSETS = [PATHS.index, ...PATHS.images, PATHS.medium];

const e2e = useE2e();

/** Serves `envelope` at /swarmcdn/manifest, tells A's SW a newer version exists, and waits for the refusal `code`. */
async function refuse(a: Visitor, envelope: string, code: ErrorCode): Promise<void> {
  const { server } = e2e();
  const before = (await a.sw()).manifestRefusals[code] ?? 0;
  const mark = server.requests.mark();
  server.overrideManifest(envelope);
  // The SW refetches only for a version above its own; claim one.
  await a.postToSw({ type: 'swarmcdn/manifest-changed', version: 3 });
  const after = await a.waitForStats((s) => (s.sw?.manifestRefusals[code] ?? 0) > before, `a refusal counted as ${code}`, 10_000);
  expect(server.requests.count({ visitor: 'a', path: '/swarmcdn/manifest', after: mark })).toBeGreaterThanOrEqual(1);
  expect(after.sw!.manifestVersion).toBe(2);
}

it('refuses forged and rolled-back manifests, keeps the last good version, and keeps serving', async () => {
  const { server, site } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a');
    expect((await a.sw()).manifestVersion).toBe(1);
    await e2e().seed(a, ASSETS);
    const v1 = server.published().envelopeJson;
    expect(versionOf(v1)).toBe(1);

    // The server signs and publishes v2 (it reloads the manifest file).
    expect(await site.publish()).toBe(2);
    await waitFor(() => server.published().version, (v) => v === 2, { timeoutMs: 10_000, what: 'the server to publish v2' });
    await a.postToSw({ type: 'swarmcdn/manifest-changed', version: 2 });
    await a.waitForStats((s) => s.sw?.manifestVersion === 2, 'the SW to accept v2', 10_000);
    const v2 = server.published().envelopeJson;

    await refuse(a, await signedByStranger(v2, 3), 'MANIFEST_KEY_UNKNOWN');
    await refuse(a, await withBrokenSignature(v2, 3, site.keys.key), 'MANIFEST_SIGNATURE_INVALID');
    await refuse(a, v1, 'MANIFEST_ROLLBACK');
    const refusals = (await a.sw()).manifestRefusals;
    expect(refusals).toEqual({ MANIFEST_KEY_UNKNOWN: 1, MANIFEST_SIGNATURE_INVALID: 1, MANIFEST_ROLLBACK: 1 });

    // With the hostile endpoint still in place, A's SW serves from what it verified.
    const cachedBefore = (await a.sw()).responses.cache;
    for (const path of ASSETS) {
      const r = await a.fetch(path);
      expect({ path, status: r.status, sha256: r.sha256 }).toEqual({ path, status: 200, sha256: e2e().file(path).sha256 });
    }
    const aSw = await a.sw();
    expect(aSw.responses.cache - cachedBefore).toBe(ASSETS.length);
    expect(aSw.manifestVersion).toBe(2);

    // The floor is persisted: A's SW, stopped and started afresh with v1 on offer, still refuses it.
    await a.stopServiceWorker();
    const restarted = await a.waitForStats((s) => (s.sw?.manifestRefusals.MANIFEST_ROLLBACK ?? 0) >= 1 && s.sw?.manifestRefusals.MANIFEST_KEY_UNKNOWN === undefined, 'the restarted SW (fresh counters) to refuse v1', 15_000);
    expect(restarted.sw!.manifestVersion).toBe(2);
    expect((await a.fetch(PATHS.medium)).sha256).toBe(e2e().file(PATHS.medium).sha256);
    expect((await a.sw()).responses.cache).toBe(1);

    // A new visitor gets the real v2 and the assets from A: refusing did not take A out of the swarm.
    server.overrideManifest(undefined);
    const b = await e2e().visitor('b');
    expect((await b.sw()).manifestVersion).toBe(2);
    const mark = server.requests.mark();
    for (const path of ASSETS) expect((await b.fetch(path)).sha256).toBe(e2e().file(path).sha256);
    expect(server.requests.count({ visitor: 'b', path: ASSETS, after: mark })).toBe(0);
    expect((await b.sw()).bytes.peer).toBe(ASSETS.reduce((sum, p) => sum + e2e().file(p).size, 0));
  });
}, 150_000);
