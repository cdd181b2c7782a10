/**
 * One bridge per visitor, in real Chromium: two tabs of one browser profile elect one leader (Web
 * Locks); only it opens a PeerJS socket and lends its bridge to the SW, which serves the other tab
 * (the follower) through it. When the leader's tab closes mid-transfer, the follower's request
 * still completes byte for byte, and the follower takes over as leader with a peer of its own.
 */
import { expect, it } from '@jest/globals';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import { Visitor } from './support/visitor.js';
import { withTimeout } from './support/wait.js';

/** 1 MB/s: the ~3 MiB file takes ~3 s from the seeder, so closing the leader lands mid-transfer. */
const UPLOAD_BYTES_PER_SECOND = 1_000_000;
const PEERJS_SOCKET = '/swarmcdn/peerjs/peerjs';

const e2e = useE2e();

it('two tabs: one leader serves both; closing it mid-transfer hands over with no failed request', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const seeder = await e2e().visitor('seeder', { uploadBytesPerSecond: UPLOAD_BYTES_PER_SECOND });
    await e2e().seed(seeder, [PATHS.medium, PATHS.images[3]]);

    const first = await e2e().visitor('tabs');
    const second = new Visitor('tabs-2', first.context, await first.context.newPage());
    e2e().browser.visitors.push(second);
    await second.open(server.url, { stallMs: 1_000 });
    await second.ready();

    const [leader, follower] = await Promise.all([first.stats(), second.stats()]);
    expect({ first: leader.role, second: follower.role }).toEqual({ first: 'leader', second: 'follower' });
    const leaderId = await first.peerId();
    // The follower names the visitor's peer (the leader's) and reads the leader's counters.
    expect(await second.peerId()).toBe(leaderId);
    expect(follower.peerId).toBe(leaderId);
    // One PeerJS socket for the visitor, not one per tab.
    expect(server.requests.count({ visitor: 'tabs', path: PEERJS_SOCKET })).toBe(1);

    // The follower's request goes to the seeder through the leader's bridge; the leader's tab closes mid-transfer.
    const file = e2e().file(PATHS.medium);
    const transfer = second.startFetch(PATHS.medium);
    transfer.catch(() => undefined); // awaited below, bounded
    await second.waitForStats((s) => (s.sw?.bytes.peer ?? 0) > 0, 'some peer bytes of the medium file through the leader', 20_000);
    await first.page.close();

    const result = await withTimeout(transfer, 60_000, 'tabs-2: the medium file after the leader left');
    expect({ status: result.status, size: result.size, sha256: result.sha256 }).toEqual({ status: 200, size: file.size, sha256: file.sha256 });

    // The follower leads now: a peer of its own (a second socket for the visitor), serving its SW.
    const promoted = await second.waitForStats((s) => s.role === 'leader' && typeof s.peerId === 'string' && s.peerId !== leaderId, 'the second tab to lead with a peer of its own', 20_000);
    expect(server.requests.count({ visitor: 'tabs', path: PEERJS_SOCKET })).toBe(2);
    const image = e2e().file(PATHS.images[3]);
    const peerBefore = promoted.sw!.bytes.peer;
    const shown = await second.fetch(PATHS.images[3]);
    expect({ status: shown.status, sha256: shown.sha256 }).toEqual({ status: 200, sha256: image.sha256 });
    const after = await second.stats();
    expect(after.sw!.bytes.peer - peerBefore).toBe(image.size);
    expect(after.bytesByPeer[await seeder.peerId()]).toBeGreaterThanOrEqual(image.size);
  });
}, 120_000);
