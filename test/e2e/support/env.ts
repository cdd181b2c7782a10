/**
 * One test file's world: a fixture site, the real server on it, one Chromium, and the steps most
 * tests share (open a visitor and wait for its swarm, seed a visitor's cache from the origin and
 * wait until the tracker lists it as a holder). `run` wraps a test body so that a failure carries
 * every visitor's console, its stats and the server's last requests.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { E2eBrowser } from './browser.js';
import { startE2eServer, type E2eServer } from './server.js';
import { makeSite, type E2eSite, type SiteFile } from './site.js';
import type { FetchResult, Visitor } from './visitor.js';
import { waitFor, withTimeout } from './wait.js';

/** The site, server and browser of one test file. */
export interface E2eEnv<S extends E2eSite = E2eSite> {
  readonly site: S;
  readonly server: E2eServer;
  readonly browser: E2eBrowser;
  /** Opens a visitor on the site with start options in the hash and waits for `swarm.ready`. */
  visitor(name: string, options?: Readonly<Record<string, unknown>>): Promise<Visitor>;
  /**
   * Fetches each path in the visitor's page (through its SW), checks every body against the disk,
   * and waits until the tracker lists the visitor as a holder of each file.
   */
  seed(visitor: Visitor, paths: readonly string[]): Promise<void>;
  /** The site file at a manifest path (or the outside file). */
  file(path: string): SiteFile;
  /** Runs a test body; a failure's message gets the browser and server diagnostics appended. */
  run(body: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** The server's last requests, one line each, for a failure message. */
function requestTail(server: E2eServer, count = 40): string {
  return server.requests.entries
    .filter((e) => !e.path.startsWith('/swarmcdn/peerjs'))
    .slice(-count)
    .map((e) => `#${e.seq} ${e.visitor} ${e.method} ${e.path}${e.range ? ` range=${e.range}` : ''}${e.authorization ? ' auth' : ''}`)
    .join('\n');
}

/** Asserts (without jest, so it can run in set-up) that a body is the file on disk. */
export function checkBody(result: FetchResult, file: SiteFile, what: string): void {
  if (result.status !== 200 || result.size !== file.size || result.sha256 !== file.sha256) {
    throw new Error(`${what}: got status ${result.status}, ${result.size} bytes, sha256 ${result.sha256}; the file is ${file.size} bytes, sha256 ${file.sha256}`);
  }
}

/** Builds the site, starts the server and launches Chromium. */
export async function startE2e<S extends E2eSite = E2eSite>(options: { large?: boolean; media?: boolean; site?: () => Promise<S> } = {}): Promise<E2eEnv<S>> {
  const site = options.site ? await options.site() : ((await makeSite(options)) as S);
  const server = await startE2eServer(site).catch(async (error: unknown) => {
    await site.cleanup();
    throw error;
  });
  const browser = await E2eBrowser.launch().catch(async (error: unknown) => {
    await server.close();
    await site.cleanup();
    throw error;
  });

  const file = (path: string): SiteFile => {
    const found = site.files.get(path) ?? (path === site.outside.path ? site.outside : undefined);
    if (!found) throw new Error(`${path} is not a file of the fixture site`);
    return found;
  };

  const env: E2eEnv<S> = {
    site,
    server,
    browser,
    file,
    async visitor(name, startOptions = {}) {
      const v = await browser.visitor(name);
      await v.open(server.url, startOptions);
      await v.ready();
      return v;
    },
    async seed(visitor, paths) {
      for (const path of paths) checkBody(await visitor.fetch(path), file(path), `${visitor.name} seeding ${path}`);
      const peerId = await visitor.peerId();
      const hashes = await Promise.all(paths.map(async (p) => ({ path: p, hash: (await site.entry(p)).integrity })));
      await waitFor(
        () => hashes.filter(({ hash }) => !server.holders(hash).includes(peerId)).map(({ path }) => path),
        (missing) => missing.length === 0,
        { timeoutMs: 15_000, intervalMs: 100, what: `the tracker to list ${visitor.name} (${peerId}) as a holder of every seeded file (missing paths shown)` },
      );
    },
    async run(body) {
      try {
        await body();
      } catch (error) {
        const report = await withTimeout(browser.report(), 10_000, 'the failure report').catch((e: unknown) => `no report: ${String(e)}`);
        const details = `\n\n=== e2e diagnostics ===\n${report}\n--- server: last requests ---\n${requestTail(server)}`;
        if (error instanceof Error) {
          error.message += details;
          throw error;
        }
        throw new Error(`${String(error)}${details}`, { cause: error });
      }
    },
    async close() {
      await browser.close();
      await withTimeout(server.close(), 10_000, 'close the server').catch(() => undefined);
      await site.cleanup();
    },
  };
  return env;
}

/**
 * Starts one E2eEnv for the calling test file (beforeAll) and closes it after (afterAll); returns a
 * getter for it, so each file does not repeat the set-up and tear-down.
 */
export function useE2e<S extends E2eSite = E2eSite>(options: Parameters<typeof startE2e<S>>[0] = {}): () => E2eEnv<S> {
  let env: E2eEnv<S> | undefined;
  beforeAll(async () => {
    env = await startE2e<S>(options);
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  }, 30_000);
  return () => {
    if (!env) throw new Error('the e2e environment did not start (see beforeAll)');
    return env;
  };
}
