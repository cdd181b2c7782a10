/**
 * Where a transfer's JavaScript time goes (BENCH_P2P_PROFILE=1): V8's sampling profiler in chosen
 * targets (pages and service workers) of the bench's Chromium, over one measured transfer, summed
 * by function (self time: native work a function calls into, such as a structured clone or an
 * IndexedDB request, counts under it). The CPU meter (cpu-meter.ts) says how much each process
 * type spends per MB; this says on what, inside the renderers. A service worker has no Playwright
 * handle, so targets are reached through the browser's own CDP session, by target id.
 */
import type { Browser, CDPSession, Page } from 'playwright-core';

/** A target to profile: a page, or the service worker of a page's browser context. */
export interface ProfileTarget {
  readonly label: string;
  readonly page: Page;
  readonly worker: boolean;
}

interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** One function's share of a target's samples. */
export interface ProfileLine {
  readonly fn: string;
  readonly ms: number;
}

/** One target's profile, summed. */
export interface TargetProfile {
  readonly label: string;
  readonly totalMs: number;
  readonly idleMs: number;
  readonly top: readonly ProfileLine[];
}

interface Attached {
  readonly label: string;
  readonly sessionId: string;
}

/** A running profile of several targets. */
export interface RunningProfile {
  stop(): Promise<TargetProfile[]>;
}

async function targetIdOf(page: Page): Promise<{ targetId: string; browserContextId: string }> {
  const session = await page.context().newCDPSession(page);
  try {
    const { targetInfo } = (await session.send('Target.getTargetInfo')) as { targetInfo: { targetId: string; browserContextId: string } };
    return targetInfo;
  } finally {
    await session.detach().catch(() => undefined);
  }
}

/** Sums self time by function name and script (file name only), the largest first. */
export function summarise(label: string, profile: CpuProfile, topN = 12): TargetProfile {
  const byNode = new Map<number, CpuProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const byFn = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i]!);
    // The delta before sample i+1 is the time sample i stood for.
    const ms = (deltas[i + 1] ?? 0) / 1000;
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    total += ms;
    const file = url.slice(url.lastIndexOf('/') + 1);
    const key = file ? `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}` : functionName;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  const top = [...byFn].sort((x, y) => y[1] - x[1]).slice(0, topN).map(([fn, ms]) => ({ fn, ms }));
  return { label, totalMs: total, idleMs: idle, top };
}

/** Starts V8's profiler in every target; `stop` ends them all and sums each profile. */
export async function startProfiles(browser: Browser, targets: readonly ProfileTarget[]): Promise<RunningProfile> {
  const root: CDPSession = await browser.newBrowserCDPSession();
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  root.on('Target.receivedMessageFromTarget', (event: { message: string }) => {
    const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: unknown };
    if (message.id === undefined) return;
    const done = waiting.get(message.id);
    waiting.delete(message.id);
    done?.(message.error ? undefined : message.result);
  });
  const call = (sessionId: string, method: string, params: object = {}): Promise<unknown> => {
    const id = nextId++;
    const answer = new Promise<unknown>((resolve) => waiting.set(id, resolve));
    void root.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
    return answer;
  };
  const { targetInfos } = (await root.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; browserContextId: string }[] };
  const attached: Attached[] = [];
  for (const target of targets) {
    const own = await targetIdOf(target.page);
    const info = target.worker
      ? targetInfos.find((t) => t.type === 'service_worker' && t.browserContextId === own.browserContextId)
      : targetInfos.find((t) => t.targetId === own.targetId);
    if (!info) throw new Error(`profile: no ${target.worker ? 'service worker' : 'page'} target for ${target.label}`);
    const { sessionId } = (await root.send('Target.attachToTarget', { targetId: info.targetId, flatten: false })) as { sessionId: string };
    await call(sessionId, 'Profiler.enable');
    await call(sessionId, 'Profiler.setSamplingInterval', { interval: 200 });
    await call(sessionId, 'Profiler.start');
    attached.push({ label: target.label, sessionId });
  }
  return {
    async stop() {
      const out: TargetProfile[] = [];
      for (const a of attached) {
        const result = (await call(a.sessionId, 'Profiler.stop')) as { profile: CpuProfile } | undefined;
        if (result) out.push(summarise(a.label, result.profile));
        await root.send('Target.detachFromTarget', { sessionId: a.sessionId }).catch(() => undefined);
      }
      await root.detach().catch(() => undefined);
      return out;
    },
  };
}

/** The profiles as text: per target its busy time and top functions by self time. */
export function formatProfiles(profiles: readonly TargetProfile[], mb: number): string {
  const lines: string[] = [];
  for (const p of profiles) {
    lines.push(`  ${p.label}: ${(p.totalMs / mb).toFixed(1)} ms/MB busy in JS's thread (idle ${(p.idleMs / mb).toFixed(1)})`);
    for (const l of p.top) lines.push(`    ${(l.ms / mb).toFixed(2).padStart(7)} ms/MB  ${l.fn}`);
  }
  return lines.join('\n') + '\n';
}
