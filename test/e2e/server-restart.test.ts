/**
 * The server restarts under six connected pages: every page gets back (a new peer id from the new
 * server, its tracker session joined again), and their reconnects are spread over time, as the
 * full-jitter backoff (page-bridge/backoff.ts) promises.
 *
 * Each page logs its WebSockets (an init script wraps the constructor: when each was created,
 * opened, admitted with the server's OPEN frame, closed). The server stays down until every page
 * has failed at least three retries, so each page's log holds retry intervals measured while the
 * port refused: the interval before retry n is one draw of backoff attempt n. Assertions:
 * - every interval lies between the floor and its ceiling (plus slack for a loaded machine);
 * - some intervals fall below 45 % of their ceiling. Under the "half to all" jitter this replaced
 *   none can (a timer never fires early, and an interval is at least its delay), so this cannot pass
 *   by accident without full jitter; with it, about 40 % of them do (the test needs two of 18+);
 * - every page is admitted again within the policy's cap (30 s) of the server's return, and the
 *   admissions are not bunched: they span more than 300 ms (a simulation of this schedule puts the
 *   span's 1-in-10,000 low near 500 ms).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { RECONNECT_BACKOFF, backoffCeiling } from '../../page-bridge/backoff.js';
import { buildServer } from '../../server/build-server.js';
import { E2eBrowser } from './support/browser.js';
import { makeSite, type E2eSite } from './support/site.js';
import type { Visitor } from './support/visitor.js';
import { waitFor, withTimeout } from './support/wait.js';

// Load-sensitive on a shared 2-core CI box (a busy machine can tip a hedge or a socket close past its
// bound): a failure is retried twice, and three failures in a row still fail the suite.
jest.retryTimes(2, { logErrorsBeforeRetry: true });

const PAGES = 6;
const HOST = '127.0.0.1';
/** Failed retries every page must have logged before the server comes back. */
const FAILED_RETRIES = 3;
/** A retry interval may run this much past its ceiling on a loaded 2-core machine (timers fire late, never early). */
const LATE_SLACK_MS = 1_000;
/** Below this share of its ceiling an interval is one "half to all" jitter can never produce. */
const LOW_SHARE = 0.45;
/** Admissions must span more than this. */
const MIN_SPREAD_MS = 300;

/** One WebSocket a page made, as its init script logged it (epoch ms). */
interface SocketEntry {
  readonly id: string | null;
  readonly created: number;
  readonly opened: number | null;
  readonly admitted: number | null;
  readonly closed: number | null;
}

/** Wraps the page's WebSocket constructor (peerjs calls it for every socket) to log each socket's life. */
function logSockets(): void {
  const log: SocketEntry[] = [];
  (window as unknown as { swarmcdnSockets: SocketEntry[] }).swarmcdnSockets = log;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      const entry = { id: new URL(String(url)).searchParams.get('id'), created: Date.now(), opened: null as number | null, admitted: null as number | null, closed: null as number | null };
      log.push(entry);
      this.addEventListener('open', () => void (entry.opened = Date.now()));
      this.addEventListener('close', () => void (entry.closed = Date.now()));
      this.addEventListener('message', (event: MessageEvent) => {
        if (entry.admitted !== null || typeof event.data !== 'string' || !event.data.includes('"OPEN"')) return;
        try {
          if ((JSON.parse(event.data) as { type?: unknown }).type === 'OPEN') entry.admitted = Date.now();
        } catch {
          // Not a frame of ours to read.
        }
      });
    }
  };
}

const sockets = (v: Visitor): Promise<SocketEntry[]> =>
  withTimeout(v.page.evaluate(() => (window as unknown as { swarmcdnSockets: SocketEntry[] }).swarmcdnSockets), 5_000, `${v.name}: its socket log`);

let site: E2eSite | undefined;
let browser: E2eBrowser | undefined;
const servers: FastifyInstance[] = [];
/** The pages of the attempt before, closed when a retried attempt starts (a failed attempt leaves them open). */
const previousPages: Visitor[] = [];
let run = 0;

beforeAll(async () => {
  site = await makeSite();
  browser = await E2eBrowser.launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const app of servers) await withTimeout(app.close(), 10_000, 'close a server').catch(() => undefined);
  await site?.cleanup();
}, 30_000);

async function newServer(): Promise<FastifyInstance> {
  const app = buildServer({ siteDir: site!.dir, publicKeys: [await readFile(site!.keys.pub, 'utf8')], logger: false });
  servers.push(app);
  await app.ready();
  return app;
}

it('after a server restart every page reconnects, its retries drawn from full jitter and the reconnects spread over time', async () => {
  // A retried attempt starts clean: the last attempt's pages closed, its servers too, and new visitor names (names are unique per browser).
  run++;
  await Promise.all(previousPages.splice(0).map((v) => v.close()));
  for (const app of servers.splice(0)) await withTimeout(app.close(), 10_000, 'close a server').catch(() => undefined);
  const first = await newServer();
  await first.listen({ port: 0, host: HOST });
  const port = (first.server.address() as { port: number }).port;
  const url = `http://${HOST}:${port}`;

  const pages: Visitor[] = [];
  for (let i = 0; i < PAGES; i++) {
    const v = await browser!.visitor(`run${run}-p${i}`);
    previousPages.push(v);
    await v.context.addInitScript(logSockets);
    await v.open(url);
    await v.ready();
    pages.push(v);
  }
  const oldIds = await Promise.all(pages.map((v) => v.peerId()));
  // Built and ready before the first one closes: the port comes back as soon as it is free.
  const second = await newServer();

  const downAt = Date.now();
  await withTimeout(first.close(), 15_000, 'close the first server');
  const failedRetries = (log: SocketEntry[]): number => log.filter((s) => s.created > downAt && s.opened === null && s.closed !== null).length;
  await waitFor(
    () => Promise.all(pages.map(async (v) => failedRetries(await sockets(v)))),
    (counts) => counts.every((n) => n >= FAILED_RETRIES),
    { timeoutMs: 30_000, intervalMs: 100, what: `every page to fail ${FAILED_RETRIES} retries while the server is down (failed retries per page shown)` },
  );
  await second.listen({ port, host: HOST });
  const upAt = Date.now();

  // Every page admitted again, by the new server, with a new id (the old one was the old server's).
  const logs = await waitFor(
    () => Promise.all(pages.map((v) => sockets(v))),
    (all) => all.every((log) => log.some((s) => s.admitted !== null && s.admitted >= upAt)),
    { timeoutMs: RECONNECT_BACKOFF.maxMs + 20_000, intervalMs: 200, what: 'every page to be admitted by the new server' },
  );
  await waitFor(
    () => second.swarmcdn.connections.tracker,
    (n) => n === PAGES,
    { timeoutMs: 10_000, what: `the new server to hold ${PAGES} tracker sessions` },
  );
  const newIds = await Promise.all(pages.map((v) => v.peerId()));
  expect(newIds.every((id, i) => id !== oldIds[i] && !oldIds.includes(id))).toBe(true);

  const intervals: { page: number; attempt: number; ms: number; ceiling: number }[] = [];
  const admittedAt: number[] = [];
  logs.forEach((log, page) => {
    const drop = log.find((s) => s.admitted !== null && s.admitted < downAt && s.closed !== null && s.closed >= downAt);
    expect(drop).toBeDefined();
    const retries = log.filter((s) => s.created >= drop!.closed!).sort((a, b) => a.created - b.created);
    let failedAt = drop!.closed!;
    for (const [attempt, retry] of retries.entries()) {
      intervals.push({ page, attempt, ms: retry.created - failedAt, ceiling: backoffCeiling(attempt) });
      // Only retries the closed port refused measure the backoff; the first that reached the new server ends the series.
      if (retry.opened !== null || retry.closed === null) break;
      failedAt = retry.closed;
    }
    admittedAt.push(Math.min(...log.filter((s) => s.admitted !== null && s.admitted >= upAt).map((s) => s.admitted!)));
  });
  const table = JSON.stringify(intervals.map((i) => `p${i.page}#${i.attempt}: ${i.ms}/${i.ceiling}`));

  // Every draw (the retries the closed port refused, and the one that found the new server): within the policy, and full jitter's lower half is used.
  expect(intervals.length).toBeGreaterThanOrEqual(PAGES * FAILED_RETRIES);
  for (const i of intervals) {
    expect({ interval: i, atLeastFloor: i.ms >= RECONNECT_BACKOFF.minMs - 5, withinCeiling: i.ms <= i.ceiling + LATE_SLACK_MS }).toEqual({ interval: i, atLeastFloor: true, withinCeiling: true });
  }
  const low = intervals.filter((i) => i.ms < LOW_SHARE * i.ceiling);
  if (low.length < 2) throw new Error(`only ${low.length} of ${intervals.length} retry intervals under ${LOW_SHARE} of their ceiling: ${table}`);

  // Every page back within the policy's cap of the server's return, and not all in one burst.
  for (const at of admittedAt) expect(at - upAt).toBeLessThanOrEqual(RECONNECT_BACKOFF.maxMs + 5_000);
  const spread = Math.max(...admittedAt) - Math.min(...admittedAt);
  if (spread <= MIN_SPREAD_MS) throw new Error(`the ${PAGES} reconnects spanned only ${spread} ms: ${JSON.stringify(admittedAt.map((t) => t - upAt))}; retries ${table}`);
}, 240_000);
