/**
 * The failure report when there is no P2P path at all (no bridge, no swarm, not ready): nothing to
 * measure against the baseline, but the raw channel is still timed, because it shows whether the
 * harness and WebRTC work on this machine, and the bridge bundle's state says which piece is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { openVisitor, type P2pPathMissing, type Visitor } from './browser.js';
import { mbPerSec } from './figures.js';
import { closeRawChannel, measureRawTransfer, openRawChannel } from './raw-channel.js';

/** The bridge bundle's state, for a failure message that says which piece is missing. */
function bridgeBundleNote(root: string): string {
  const path = join(root, 'dist/page-bridge/bridge.js');
  if (!existsSync(path)) return 'dist/page-bridge/bridge.js is not built';
  const text = readFileSync(path, 'utf8');
  return `dist/page-bridge/bridge.js is ${text.length} bytes and ${text.includes('startSwarm') ? 'mentions' : 'does not mention'} startSwarm`;
}

/** Times the raw channel A→B (with a browser still open), then throws the report; `root` is the repo root. */
export async function reportWithoutP2p(error: P2pPathMissing, browser: Browser | undefined, a: Visitor, origin: string, bigBytes: number, root: string): Promise<never> {
  let raw = 'not measured';
  if (browser) {
    const b = await openVisitor(browser, 'B');
    try {
      await b.page.goto(`${origin}/index.html`, { waitUntil: 'load' });
      await openRawChannel(a, b);
      const run = await measureRawTransfer(a, b, bigBytes);
      raw = `${mbPerSec(run.bytes, run.ms).toFixed(1)} MB/s`;
    } catch (rawError) {
      raw = `failed too: ${rawError instanceof Error ? rawError.message : String(rawError)}`;
    } finally {
      await closeRawChannel(a, b);
    }
  }
  throw new Error(
    `the P2P path is absent, so there is nothing to measure against the baseline.\n  ${error.message}\n  ${bridgeBundleNote(root)}\n` +
      `  raw RTCDataChannel A→B on this machine (the baseline, for reference): ${raw}`,
  );
}
