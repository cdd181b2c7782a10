/**
 * The server side of a bench child process: starts one signalling server, tells the parent its
 * port over IPC, and answers `gc` (run with --expose-gc, so memory is sampled after a collection)
 * and event-loop lag windows. The process exits when the parent goes away.
 */
import { createRequire } from 'node:module';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { startStockServer } from './stock-peer.js';
import { startSwarmcdnServer } from './swarmcdn.js';

/** Which server a child runs, and with what. */
export interface ServeSpec {
  readonly kind: 'stock' | 'swarmcdn';
  /** The server-side path prefix, e.g. /swarmcdn/peerjs. */
  readonly path: string;
  readonly key: string;
  readonly maxConnections: number;
  /** swarmcdn only: a directory for the origin to serve (empty is fine). */
  readonly siteDir?: string;
  /** swarmcdn only: per-connection rate limits overriding the defaults. */
  readonly limits?: { readonly ratePerSecond: number; readonly rateBurst: number };
}

/** How late the server's event loop ran a 10 ms timer over a window, ms (0 = on time). */
export interface LoopLag {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Child → parent. */
export type ServeEvent =
  | { type: 'listening'; port: number; bufferutil: BufferutilStatus }
  | { type: 'failed'; error: string }
  | { type: 'done'; req: number; loop?: LoopLag };

/**
 * Parent → child: `gc` collects; `loop-start`/`loop-stop` bracket a window whose event-loop lag
 * is reported (off otherwise: its timer would count in the flat-out CPU measurements).
 */
export interface ServeRequest {
  readonly type: 'gc' | 'loop-start' | 'loop-stop';
  readonly req: number;
}

/** Whether ws masks and unmasks frames with bufferutil's native code, its JS fallback, or its own JS. */
export type BufferutilStatus = 'native' | 'js fallback' | 'not loaded';

/**
 * What this process's ws loaded: ws requires bufferutil once, when it loads, and falls back to
 * its own JS loop without it; bufferutil itself falls back to JS without its native build.
 * Native modules are cached like JS ones, so the module cache says which.
 */
function bufferutilStatus(): BufferutilStatus {
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  if (loaded.some((file) => /[\\/]bufferutil[\\/].*\.node$/.test(file))) return 'native';
  if (loaded.some((file) => /[\\/]bufferutil[\\/]fallback\.js$/.test(file))) return 'js fallback';
  return 'not loaded';
}

// A 10 ms timer: 100 wakeups a second cost the server nothing measurable in the CPU read over the
// same window, yet any stall long enough to matter for a 2 ms p99 overlaps a deadline and shows.
const LOOP_TIMER_MS = 10;
const gc = (globalThis as { gc?: () => void }).gc;

function tell(event: ServeEvent): void {
  process.send?.(event);
}

/** Runs in the child: start the server named by `spec`, then serve IPC until the parent leaves. */
export async function serveChild(spec: ServeSpec): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  let histogram: IntervalHistogram | undefined;
  process.on('message', (request: ServeRequest) => {
    switch (request.type) {
      case 'gc':
        // Twice: the first pass can leave garbage that only a second full collection frees.
        gc?.();
        gc?.();
        return tell({ type: 'done', req: request.req });
      case 'loop-start':
        histogram?.disable();
        histogram = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
        histogram.enable();
        return tell({ type: 'done', req: request.req });
      case 'loop-stop': {
        histogram?.disable();
        // The histogram records the timer's intervals; lag is what exceeds the period.
        const ms = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_TIMER_MS);
        const loop = histogram && { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
        histogram = undefined;
        return tell({ type: 'done', req: request.req, ...(loop && { loop }) });
      }
    }
  });
  try {
    const port = spec.kind === 'stock' ? await startStockServer(spec) : await startSwarmcdnServer(spec);
    tell({ type: 'listening', port, bufferutil: bufferutilStatus() });
  } catch (error) {
    const failed: ServeEvent = { type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    process.send?.(failed, () => process.exit(1));
  }
}
