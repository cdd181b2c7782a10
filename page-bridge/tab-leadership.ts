/**
 * One bridge per visitor: of a site's tabs in one browser profile, the one holding a Web Lock
 * leads. It alone runs the bridge core (PeerJS, its sockets and connections) and lends it to the
 * SW, which serves every tab with it; the others (followers) only register the SW and ask the
 * leader over a BroadcastChannel who leads and what its counters say. The lock is held until the
 * page goes (or the swarm stops): the browser then grants it to the next tab that asked, which
 * starts its own core. A browser without Web Locks or BroadcastChannel makes every tab a leader,
 * as before there were leaders.
 */
import { parseTabMessage, type LeaderCounters, type TabMessage } from '../protocol/messages/tabs.js';
import { deferred, within } from './wait.js';

/** What this tab is to the others. */
export type TabRole = 'leader' | 'follower';

/** Counters a follower waits for from the leader at most this long (a busy leader answers late; a closing one never). */
const COUNTERS_TIMEOUT_MS = 1_000;
/** Counter requests a follower keeps open at once; more wait for none. */
const MAX_PENDING = 16;

/** The election and the tabs' channel. */
export class TabLeadership {
  readonly #name: string;
  readonly #elected = deferred<void>();
  readonly #leaderUp = deferred<string>();
  readonly #pending = new Map<string, (counters: LeaderCounters | undefined) => void>();
  #role: TabRole = 'follower';
  #channel: BroadcastChannel | undefined;
  #release: (() => void) | undefined;
  #counters: (() => LeaderCounters) | undefined;
  #peerId: string | undefined;
  #leaderPeerId: string | undefined;
  #closed = false;

  /** `name` names the lock and the channel: one per site origin (locks are per origin) and swarmcdn server. */
  constructor(name: string) {
    this.#name = name;
  }

  /** Asks for the lock (granted now, or when the leader goes) and opens the channel. */
  start(): void {
    const locks = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks || typeof BroadcastChannel === 'undefined') return this.#lead();
    this.#channel = new BroadcastChannel(this.#name);
    this.#channel.addEventListener('message', (event: MessageEvent) => this.#handle(parseTabMessage(event.data)));
    this.#post({ type: 'swarmcdn/who-leads' });
    locks
      .request(this.#name, { mode: 'exclusive' }, () => {
        if (this.#closed) return undefined;
        this.#lead();
        // Held until release(): close() or the page going away.
        return new Promise<void>((resolve) => (this.#release = resolve));
      })
      .catch((error: unknown) => {
        // A lock request the browser refuses (an opaque origin, say): lead alone rather than never.
        if (!this.#closed) {
          console.warn('swarmcdn: no tab lock; this tab runs its own bridge', error);
          this.#lead();
        }
      });
  }

  /** This tab's role now. */
  get role(): TabRole {
    return this.#role;
  }

  /** Resolves when this tab leads (never, for a follower that stays one). */
  get elected(): Promise<void> {
    return this.#elected.promise;
  }

  /** Resolves with the peer id of the leader's open peer (this tab's own once it leads and its peer opens). */
  get leaderUp(): Promise<string> {
    return this.#leaderUp.promise;
  }

  /** The leader's peer id, as last heard (or this tab's own). */
  get leaderPeerId(): string | undefined {
    return this.#role === 'leader' ? this.#peerId : this.#leaderPeerId;
  }

  /** Leader: how to read this tab's counters for the followers. */
  serveCounters(read: () => LeaderCounters): void {
    this.#counters = read;
  }

  /** Leader: this tab's peer opened with `peerId`; the followers hear it. */
  peerOpened(peerId: string): void {
    this.#peerId = peerId;
    this.#leaderUp.resolve(peerId);
    this.#post({ type: 'swarmcdn/leader', peerId });
  }

  /** Follower: the leader's counters, or undefined without an answer in time. */
  counters(): Promise<LeaderCounters | undefined> {
    if (!this.#channel || this.#pending.size >= MAX_PENDING) return Promise.resolve(undefined);
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const answer = new Promise<LeaderCounters | undefined>((resolve) => this.#pending.set(id, resolve));
    this.#post({ type: 'swarmcdn/counters?', id });
    return within(answer, COUNTERS_TIMEOUT_MS, undefined).finally(() => this.#pending.delete(id));
  }

  /** Gives up the lock (the next tab that asked leads) and closes the channel. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#release?.();
    this.#channel?.close();
    this.#channel = undefined;
    for (const done of this.#pending.values()) done(undefined);
    this.#pending.clear();
  }

  #lead(): void {
    this.#role = 'leader';
    this.#elected.resolve();
    this.#post({ type: 'swarmcdn/leader', peerId: undefined });
  }

  #handle(message: TabMessage | undefined): void {
    if (!message) return;
    switch (message.type) {
      case 'swarmcdn/who-leads':
        if (this.#role === 'leader') this.#post({ type: 'swarmcdn/leader', peerId: this.#peerId });
        return;
      case 'swarmcdn/leader':
        if (this.#role === 'leader' || message.peerId === undefined) return;
        this.#leaderPeerId = message.peerId;
        this.#leaderUp.resolve(message.peerId);
        return;
      case 'swarmcdn/counters?':
        if (this.#role === 'leader' && this.#counters) this.#post({ type: 'swarmcdn/counters', id: message.id, counters: this.#counters() });
        return;
      case 'swarmcdn/counters':
        this.#pending.get(message.id)?.(message.counters);
        return;
    }
  }

  #post(message: TabMessage): void {
    try {
      this.#channel?.postMessage(message);
    } catch {
      // A channel closed under us (the page is going).
    }
  }
}
