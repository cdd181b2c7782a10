/**
 * The keeper's tracker rescue (page-bridge/tracker-rescue.ts): nothing is sent before the socket
 * joined (a `want` then would close it); it asks for the site's most held file, with request ids
 * the tracker client never uses, one question at a time; only the answer to that question counts;
 * a drop or the want timeout ends it with no holders; malformed frames change nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { RESCUE_REQUEST_BASE, TrackerRescue } from '../../../page-bridge/tracker-rescue.js';
import type { Sha256Sri } from '../../../protocol/manifest/types.js';
import type { TrackerClientMessage } from '../../../protocol/messages/tracker.js';
import { digestToSri } from '../../../protocol/messages/peer.js';

const sri = (n: number): Sha256Sri => digestToSri(new Uint8Array(32).fill(n));

function rescue(timeoutMs = 200) {
  const sent: TrackerClientMessage[] = [];
  const r = new TrackerRescue(
    (m) => {
      sent.push(m);
      return true;
    },
    timeoutMs,
    () => 0,
  );
  return { r, sent };
}

const joined = { type: 'joined', peerId: 'me' };

describe('TrackerRescue', () => {
  it('before `joined`, or with no file held by anyone, asks nothing and names no one', async () => {
    const { r, sent } = rescue();
    r.frame({ type: 'availability', full: true, files: { [sri(1)]: 3 } });
    expect(await r.holders()).toEqual([]);
    r.frame(joined);
    r.frame({ type: 'availability', full: true, files: {} });
    expect(await r.holders()).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('asks for the most held file with an id above the tracker client\'s, and takes only the answer to that id', async () => {
    const { r, sent } = rescue();
    r.frame(joined);
    r.frame({ type: 'availability', full: true, files: { [sri(1)]: 2, [sri(2)]: 5, [sri(3)]: 1 } });
    r.frame({ type: 'availability', full: false, files: { [sri(3)]: 9, [sri(2)]: 0 } });
    const answer = r.holders();
    expect(sent).toEqual([{ type: 'want', hash: sri(3), requestId: RESCUE_REQUEST_BASE }]);
    // A second rescue while one is in flight asks nothing.
    expect(await r.holders()).toEqual([]);
    r.frame({ type: 'peers', hash: sri(3), peers: ['wrong'], holders: 1, requestId: 7 });
    r.frame({ type: 'peers', hash: sri(3), peers: ['a', 'b'], holders: 9, requestId: RESCUE_REQUEST_BASE });
    expect(await answer).toEqual(['a', 'b']);
    // The next question has the next id.
    void r.holders();
    expect(sent[1]).toMatchObject({ requestId: RESCUE_REQUEST_BASE + 1 });
  });

  it('a full view replaces what was known', async () => {
    const { r, sent } = rescue();
    r.frame(joined);
    r.frame({ type: 'availability', full: true, files: { [sri(1)]: 9 } });
    r.frame({ type: 'availability', full: true, files: { [sri(2)]: 1 } });
    void r.holders();
    expect(sent).toEqual([{ type: 'want', hash: sri(2), requestId: RESCUE_REQUEST_BASE }]);
  });

  it('a socket drop ends the question with no holders and un-joins until the next `joined`', async () => {
    const { r, sent } = rescue(60_000);
    r.frame(joined);
    r.frame({ type: 'availability', full: true, files: { [sri(1)]: 2 } });
    const answer = r.holders();
    r.down();
    expect(await answer).toEqual([]);
    expect(r.joined).toBe(false);
    expect(await r.holders()).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it('no answer in time is no holders; malformed frames are ignored', async () => {
    const { r } = rescue(50);
    r.frame('not json {');
    r.frame({ type: 'joined' });
    expect(r.joined).toBe(false);
    r.frame(joined);
    r.frame({ type: 'availability', full: true, files: { 'not-a-hash': 3 } });
    r.frame({ type: 'availability', full: true, files: { [sri(1)]: 1 } });
    expect(await r.holders()).toEqual([]);
  });
});
