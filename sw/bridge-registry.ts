/**
 * The page bridges the SW may borrow WebRTC from, one per window client, each a Comlink proxy over
 * the port that page sent. A port to a closed page never answers, so every call is bounded; a
 * bridge whose client is gone is dropped.
 */
import * as Comlink from 'comlink';
import type { ErrorCode, Sha256Sri } from '../protocol/index.js';
import { parseChunkResult, type BridgeApi, type ByteCounts, type ChunkRequest, type ChunkResult } from '../protocol/messages/sw-page.js';
import { bestEffort, withDeadline, TIMED_OUT } from './deadline.js';

/** One page's bridge. */
export interface BridgeHandle {
  readonly clientId: string;
  readonly api: Comlink.Remote<BridgeApi>;
  readonly port: MessagePort;
}

/** What the registry needs of the SW scope. */
export interface ClientsLike {
  get(id: string): Promise<Client | undefined>;
  matchAll(options: ClientQueryOptions): Promise<readonly Client[]>;
}

/**
 * 3 s: announce, withdraw, report and cancel are tiny messages; a live page answers in
 * milliseconds. A timeout does not drop the bridge (a page with a busy main thread answers late);
 * a page that is gone shows as a missing client at the next choose().
 */
const CALL_TIMEOUT_MS = 3_000;
/** 500 ms: clients.get is local to the browser. */
const CLIENT_CHECK_MS = 500;
/** After a wait for a bridge found none, later requests skip the wait for this long (no page runs one). */
const NO_BRIDGE_COOLDOWN_MS = 10_000;

/** Tells pages the SW (re)started or lacks a bridge, so they send one. */
export async function postHello(clients: ClientsLike, extra?: Client): Promise<void> {
  const windows = await withDeadline(clients.matchAll({ type: 'window', includeUncontrolled: true }), CLIENT_CHECK_MS).catch((): readonly Client[] => []);
  // By id: clients.get and matchAll hand out distinct objects for the same page.
  const targets = new Map<string, Client>((windows === TIMED_OUT ? [] : windows).map((c) => [c.id, c]));
  if (extra) targets.set(extra.id, extra);
  for (const client of targets.values()) {
    try {
      client.postMessage({ type: 'swarmcdn/hello' });
    } catch {
      // A client that went away in the meantime.
    }
  }
}

/** Bridges by client id. */
export class BridgeRegistry {
  private readonly bridges = new Map<string, BridgeHandle>();
  private waiters: (() => void)[] = [];
  private noBridgeSince = -Infinity;

  constructor(private readonly clients: ClientsLike) {}

  /** Takes a page's port, replacing an older bridge of the same client. */
  add(clientId: string, port: MessagePort): BridgeHandle {
    this.remove(clientId);
    const handle: BridgeHandle = { clientId, port, api: Comlink.wrap<BridgeApi>(port) };
    this.bridges.set(clientId, handle);
    this.noBridgeSince = -Infinity;
    for (const wake of this.waiters.splice(0)) wake();
    return handle;
  }

  /** Forgets a bridge and closes its port (calls in flight then time out). */
  remove(clientId: string): void {
    const old = this.bridges.get(clientId);
    if (!old) return;
    this.bridges.delete(clientId);
    old.port.close();
  }

  /** The bridge a client handed over, without a liveness check (the caller just heard from that client). */
  get(clientId: string): BridgeHandle | undefined {
    return this.bridges.get(clientId);
  }

  /** Every bridge, newest first. */
  all(): BridgeHandle[] {
    return [...this.bridges.values()].reverse();
  }

  /**
   * The bridge for a request: the requesting client's, else any live one. With none, pages are
   * asked for one and the request waits up to `waitMs`; after a wait that found none, requests
   * do not wait again for a while (a site whose pages run no bridge must not pay on every asset).
   */
  async choose(clientId: string | undefined, waitMs: number, options: { readonly force?: boolean } = {}): Promise<BridgeHandle | undefined> {
    const live = await this.firstLive(clientId);
    // `force`: a wait that matters more than the cooldown (the origin failed; only peers can serve).
    if (live || waitMs <= 0 || (!options.force && Date.now() - this.noBridgeSince < NO_BRIDGE_COOLDOWN_MS)) return live;
    const requester = clientId ? await withDeadline(this.clients.get(clientId), CLIENT_CHECK_MS).catch(() => undefined) : undefined;
    const arrived = new Promise<void>((resolve) => this.waiters.push(resolve));
    void postHello(this.clients, requester === TIMED_OUT ? undefined : requester);
    if ((await withDeadline(arrived, waitMs)) === TIMED_OUT) {
      this.noBridgeSince = Date.now();
      return undefined;
    }
    return this.firstLive(clientId);
  }

  private async firstLive(clientId: string | undefined): Promise<BridgeHandle | undefined> {
    const own = clientId ? this.bridges.get(clientId) : undefined;
    const order = own ? [own, ...this.all().filter((b) => b !== own)] : this.all();
    for (const handle of order) {
      const client = await withDeadline(this.clients.get(handle.clientId), CLIENT_CHECK_MS).catch(() => undefined);
      if (client !== undefined && client !== TIMED_OUT) return handle;
      if (client === undefined && this.bridges.get(handle.clientId) === handle) this.remove(handle.clientId);
    }
    return undefined;
  }

  /**
   * Asks a bridge for one chunk. The answer (parsed: a bridge is another realm) or a failure; it
   * never rejects. Unbounded by itself: the caller bounds it by its stall rule (peer-chunk-fetch.ts).
   */
  getChunk(handle: BridgeHandle, request: ChunkRequest): Promise<ChunkResult> {
    const failed: ChunkResult = { ok: false, code: 'BRIDGE_UNAVAILABLE' };
    try {
      return Promise.resolve(handle.api.getChunk(request)).then(parseChunkResult, () => failed);
    } catch {
      return Promise.resolve(failed);
    }
  }

  /** Withdraws a request the SW no longer wants. */
  cancelChunk(handle: BridgeHandle, id: number): Promise<void> {
    return bestEffort(() => handle.api.cancelChunk(id), CALL_TIMEOUT_MS);
  }

  /** Reports a peer that failed the SW. */
  reportPeer(handle: BridgeHandle, peerId: string, file: Sha256Sri, code: ErrorCode): Promise<void> {
    return bestEffort(() => handle.api.reportPeer(peerId, file, code), CALL_TIMEOUT_MS);
  }

  /** Announces complete files on every bridge. */
  announceAll(files: readonly Sha256Sri[]): Promise<void> {
    return this.each((h) => bestEffort(() => h.api.announce([...files]), CALL_TIMEOUT_MS));
  }

  /** Announces one bridge's first view of the cache. */
  announce(handle: BridgeHandle, files: readonly Sha256Sri[]): Promise<void> {
    return bestEffort(() => handle.api.announce([...files]), CALL_TIMEOUT_MS);
  }

  /** Asks one bridge to connect to holders of these files now (its page will want them). */
  warm(handle: BridgeHandle, files: readonly Sha256Sri[]): Promise<void> {
    return bestEffort(() => handle.api.warm([...files]), CALL_TIMEOUT_MS);
  }

  /** Withdraws evicted files on every bridge. */
  withdrawAll(files: readonly Sha256Sri[]): Promise<void> {
    return this.each((h) => bestEffort(() => h.api.withdraw([...files]), CALL_TIMEOUT_MS));
  }

  /** Sends byte deltas to one bridge; false when none took them. */
  async reportStats(delta: ByteCounts): Promise<boolean> {
    const handle = await this.firstLive(undefined);
    if (!handle) return false;
    const result = await withDeadline(Promise.resolve(handle.api.reportStats(delta)), CALL_TIMEOUT_MS).catch(() => TIMED_OUT);
    return result !== TIMED_OUT;
  }

  private async each(call: (h: BridgeHandle) => Promise<void>): Promise<void> {
    await Promise.all(this.all().map(call));
  }
}
