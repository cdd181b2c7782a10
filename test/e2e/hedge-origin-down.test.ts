/**
 * The two edges of the routing rule, in real Chromium:
 * - A holder that answers slowly: the request goes to peers (they hold the file, the bridge is up),
 *   no verified byte arrives within the budget measured from the origin's latency, and the origin
 *   takes the whole span; the page waits the budget, not the 2 s stall rule.
 * - The origin failing (the file deleted: 404): peers that hold the file serve it, byte-identical;
 *   a file nobody holds fails at once, with the origin's own answer and no wait.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from '@jest/globals';
import { checkBody, useE2e } from './support/env.js';
import { PATHS } from './support/site.js';

const e2e = useE2e();

/** The fixture page's default (hedgeMs 2000, a fixed budget) replaced by the measured one, as on a real site. */
const MEASURED_HEDGE = { hedgeMs: 0 };

it('a holder that answers slowly: the origin takes over within the measured budget', async () => {
  await e2e().run(async () => {
    const { server } = e2e();
    // 1 KiB/s: a 256 KiB chunk would take minutes.
    const a = await e2e().visitor('slow-holder', { uploadBytesPerSecond: 1024 });
    await e2e().seed(a, [PATHS.medium]);
    const b = await e2e().visitor('hedged', MEASURED_HEDGE);
    const mark = server.requests.mark();
    const before = await b.sw();
    const started = Date.now();
    checkBody(await b.fetch(PATHS.medium), e2e().file(PATHS.medium), 'hedged fetch');
    const elapsed = Date.now() - started;
    const after = await b.sw();
    const medium = e2e().file(PATHS.medium);
    expect({
      peersRoute: after.routes.peers - before.routes.peers,
      waits: after.swarmWait.requests - before.swarmWait.requests,
      originBytes: after.bytes.origin - before.bytes.origin,
      peerBytes: after.bytes.peer - before.bytes.peer,
    }).toEqual({ peersRoute: 1, waits: 1, originBytes: medium.size, peerBytes: 0 });
    // The wait is the hedge budget (2 × the origin's time to headers + 20 ms, at least 80 ms on
    // loopback), far below the stall rule's 2 s that a fixed budget would have cost.
    const waited = after.swarmWait.ms - before.swarmWait.ms;
    expect(waited).toBeGreaterThanOrEqual(70);
    expect(waited).toBeLessThan(1_000);
    expect(elapsed).toBeLessThan(2_000);
    // One origin request took the whole span.
    expect(server.requests.find({ visitor: 'hedged', path: PATHS.medium, after: mark }).map((r) => r.range)).toEqual([`bytes=0-${medium.size - 1}`]);
  });
}, 90_000);

it('the origin fails for a file peers hold: peers serve it; a file nobody holds fails at once', async () => {
  await e2e().run(async () => {
    const { site } = e2e();
    const held = PATHS.images[3];
    const unheld = PATHS.images[1];
    const a = await e2e().visitor('holder');
    await e2e().seed(a, [held]);
    for (const path of [held, unheld]) await rm(join(site.dir, ...path.slice(1).split('/')));

    // A threshold no file reaches: every request is routed to the origin first, as a small file or
    // a page without a bridge yet would be, so the origin's failure is what sends it to peers.
    const b = await e2e().visitor('origin-down', { minPeerBytes: 1e9 });
    const before = await b.sw();
    checkBody(await b.fetch(held), e2e().file(held), 'a file the origin lost, from a peer');
    const after = await b.sw();
    expect({
      rescued: after.originDown.rescued - before.originDown.rescued,
      failed: after.originDown.failed - before.originDown.failed,
      peerBytes: after.bytes.peer - before.bytes.peer,
      waits: after.swarmWait.requests - before.swarmWait.requests,
    }).toEqual({ rescued: 1, failed: 0, peerBytes: e2e().file(held).size, waits: 1 });
    expect(after.routes.origin - before.routes.origin).toBe(1);

    const started = Date.now();
    const missing = await b.fetch(unheld);
    expect(missing.status).toBe(404);
    expect(Date.now() - started).toBeLessThan(1_000);
    const end = await b.sw();
    expect({ rescued: end.originDown.rescued - after.originDown.rescued, failed: end.originDown.failed - after.originDown.failed, waits: end.swarmWait.requests - after.swarmWait.requests }).toEqual({
      rescued: 0,
      failed: 0,
      waits: 0,
    });
  });
}, 90_000);
