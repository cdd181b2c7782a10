/**
 * Debian's Chromium, headless, launched with the flags WebRTC needs on a loopback-only machine
 * (docs/browser-notes.md), and the visitors of one test file: each a browser context whose user
 * agent names it, so the server can tell visitors apart although all are 127.0.0.1.
 */
import { chromium, type Browser } from 'playwright-core';
import { VISITOR_UA_PREFIX } from './server.js';
import { Visitor } from './visitor.js';
import { withTimeout } from './wait.js';

/** The Chromium the tests drive (test tools' own browser downloads fail here). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags docs/browser-notes.md explains. */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection', // without it: zero ICE candidates on loopback
  '--use-fake-ui-for-media-stream', // lets WebRTC list local addresses instead of mDNS names
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost', // no stray lookups
]);

/** One browser and the visitors a test file opened in it. */
export class E2eBrowser {
  readonly visitors: Visitor[] = [];

  private constructor(readonly browser: Browser) {}

  /** Launches Chromium headless. */
  static async launch(timeoutMs = 30_000): Promise<E2eBrowser> {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS], timeout: timeoutMs });
    return new E2eBrowser(browser);
  }

  /** A new visitor: a fresh context with user agent `swarmcdn-e2e/<name>` and one page (not yet navigated). */
  async visitor(name: string): Promise<Visitor> {
    if (this.visitors.some((v) => v.name === name)) throw new Error(`visitor ${name} already exists`);
    const context = await withTimeout(this.browser.newContext({ userAgent: `${VISITOR_UA_PREFIX}${name}` }), 10_000, `${name}: a new browser context`);
    const visitor = new Visitor(name, context, await withTimeout(context.newPage(), 10_000, `${name}: a new page`));
    this.visitors.push(visitor);
    return visitor;
  }

  /** What each open visitor logged and its stats, for a failure message. */
  async report(lines = 60): Promise<string> {
    const parts: string[] = [];
    for (const v of this.visitors) {
      if (v.isClosed) {
        parts.push(`--- visitor ${v.name} (closed) console, last ${lines} lines ---`, ...v.log.slice(-lines));
        continue;
      }
      const stats = await v.stats(2_000).then(
        (s) => JSON.stringify(s),
        (error: unknown) => `unavailable (${error instanceof Error ? error.message : String(error)})`,
      );
      parts.push(`--- visitor ${v.name} stats: ${stats}`, `--- visitor ${v.name} console, last ${lines} lines ---`, ...v.log.slice(-lines));
    }
    return parts.join('\n');
  }

  async close(): Promise<void> {
    await Promise.all(this.visitors.map((v) => v.close()));
    await withTimeout(this.browser.close(), 15_000, 'close Chromium').catch(() => undefined);
  }
}
