/**
 * Upload rank in the real browser path: B fetches a file from A; B's bridge counts the bytes A
 * delivered and its next `stats` names A in `from`; the server saw the two negotiate (it relayed
 * B's OFFER and A's ANSWER), so it credits A. A's own word on its uploads is not what does it:
 * the page no longer sends one.
 */
import { expect, it } from '@jest/globals';
import { NO_UPLOAD_SCORE } from '../../server/tracker/upload-score.js';
import { useE2e } from './support/env.js';
import { PATHS } from './support/site.js';
import { waitFor } from './support/wait.js';

const e2e = useE2e();

it('credits A with the bytes B says it received from A, once B\'s stats arrive', async () => {
  const { server } = e2e();
  await e2e().run(async () => {
    const a = await e2e().visitor('a');
    await e2e().seed(a, [PATHS.medium]);
    const aId = await a.peerId();
    const origin = server.url;
    const scoreOfA = (): number | undefined => server.app.swarmcdn.store.tracker.getPeer(origin, aId)?.uploadScore;
    expect(scoreOfA()).toBe(NO_UPLOAD_SCORE);

    const b = await e2e().visitor('b');
    const result = await b.fetch(PATHS.medium);
    expect(result.status).toBe(200);
    expect((await b.sw()).bytes.peer).toBe(e2e().file(PATHS.medium).size);
    // A page sends its stats every 5 s.
    const score = await waitFor(scoreOfA, (s) => s !== undefined && s > NO_UPLOAD_SCORE, { timeoutMs: 15_000, intervalMs: 100, what: 'the tracker to credit A' });
    expect(score).toBeGreaterThan(NO_UPLOAD_SCORE);
  });
}, 120_000);
