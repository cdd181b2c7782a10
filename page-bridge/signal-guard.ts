/**
 * What the signalling socket may make this page build or hold. peerjs 1.5 acts on every frame the
 * server relays at once: an OFFER builds a DataConnection and an RTCPeerConnection before the pool
 * can say whether it wants the peer, and an ANSWER or CANDIDATE for a connection it does not know
 * is kept in `Peer._lostMessages` with no bound and no expiry. So every relayed frame is looked at
 * here first (server-frames.ts puts this in front of peerjs):
 * - an OFFER of another protocol (label, serialization, a media call), from a dropped peer, with no
 *   room in the pool, or one too many from its sender is declined before peerjs builds anything; a
 *   declined offerer may be told (EXPIRE, within a small budget: the stock client and our pool then
 *   fail that attempt at once instead of after a connect timeout; LEAVE would close every other
 *   connection it has with us too);
 * - a CANDIDATE for no known connection is held here, bounded per connection and in all (oldest
 *   dropped), and goes to peerjs with its OFFER if that is accepted (peerjs's own use of lost
 *   messages); an ANSWER for no connection of ours, frames for a declined offer and unknown types
 *   are dropped.
 * Pure: the pool's state comes in as a view, the clock as an argument.
 */
import { isPeerjsId } from '../protocol/messages/peerjs.js';
import { PEER_PROTOCOL_LABEL } from '../protocol/messages/peer.js';

/** Offers one sender may make in a burst; an honest page offers once per connection it wants. */
export const OFFER_BURST = 4;
/** Then one offer per this long: an honest page offers again only after a close or a failed attempt (connect timeout 3 s). */
export const OFFER_REFILL_MS = 5_000;
/** Senders whose offer budget is remembered; the oldest is forgotten first (each sender needs a socket of its own on the server). */
export const MAX_OFFER_SENDERS = 1_024;
/** EXPIRE replies in a burst, then per second: the server allows a socket 50 signalling frames a second (burst 200), our own ANSWERs and CANDIDATEs included. */
export const REPLY_BURST = 8;
export const REPLIES_PER_SECOND = 2;
/** Candidates held per connection not yet offered: a host gathers a few per interface, STUN and TURN add a few. */
export const MAX_HELD_PER_CONNECTION = 16;
/** Candidates held in all (each at most ~1.5 KB once copied field by field). */
export const MAX_HELD_TOTAL = 128;
/** Declined offers remembered, so the candidates that follow one are dropped instead of held. */
export const MAX_DECLINED = 256;
/** An ICE candidate line is 100–200 characters; anything far longer is not one. */
const MAX_CANDIDATE_CHARS = 1_024;
/** peerjs connection ids are `dc_`/`mc_` and a short random token. */
const CONNECTION_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/** Frames the server itself sends, and the two relayed ones peerjs handles without building anything. */
const PASS_TYPES: ReadonlySet<string> = new Set(['OPEN', 'ERROR', 'ID-TAKEN', 'INVALID-KEY', 'HEARTBEAT', 'LEAVE', 'EXPIRE']);

/** What the guard needs to know of the pool and of peerjs. */
export interface SignalPoolView {
  /** True when peerjs has a live connection with this id to this peer (it then takes that connection's frames itself). */
  knows(peerId: string, connectionId: string): boolean;
  /** True for a peer dropped for this page's life. */
  isDropped(peerId: string): boolean;
  /** True when one more incoming connection from this peer fits in the pool now. */
  canAccept(peerId: string): boolean;
}

/** A candidate held for a connection not yet offered: only the fields peerjs and WebRTC read, copied. */
export interface HeldCandidate {
  readonly type: 'CANDIDATE';
  readonly src: string;
  readonly payload: {
    readonly type: 'data';
    readonly connectionId: string;
    readonly candidate: { readonly candidate: string; readonly sdpMid: string | null; readonly sdpMLineIndex: number | null; readonly usernameFragment?: string };
  };
}

/** What to do with one frame from the server. */
export type SignalVerdict =
  /** peerjs handles it; an accepted OFFER brings the candidates held for its connection. */
  | { readonly action: 'pass'; readonly held?: { readonly connectionId: string; readonly frames: readonly HeldCandidate[] } }
  /** Kept here for an OFFER that may follow. */
  | { readonly action: 'held' }
  | { readonly action: 'drop'; readonly reason: string }
  /** An OFFER refused before peerjs saw it; `reply`: tell `peerId` (EXPIRE). */
  | { readonly action: 'decline'; readonly reason: string; readonly peerId: string; readonly reply: boolean };

const PASS: SignalVerdict = Object.freeze({ action: 'pass' });
const HELD: SignalVerdict = Object.freeze({ action: 'held' });

/** A token bucket counted in whole units, starting full. */
class Bucket {
  #tokens: number;
  #at: number;

  constructor(
    private readonly burst: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes one unit if there is one. */
  take(now: number): boolean {
    if (now > this.#at) this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#at) * this.perMs);
    this.#at = Math.max(this.#at, now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

function drop(reason: string): SignalVerdict {
  return { action: 'drop', reason };
}

function isConnectionId(value: unknown): value is string {
  return typeof value === 'string' && CONNECTION_ID_RE.test(value);
}

/** The fields of a relayed candidate worth keeping, or undefined when it is not a plausible one. */
function copyCandidate(value: unknown): HeldCandidate['payload']['candidate'] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = value as Record<string, unknown>;
  if (typeof candidate !== 'string' || candidate.length > MAX_CANDIDATE_CHARS) return undefined;
  if (sdpMid != null && (typeof sdpMid !== 'string' || sdpMid.length > 64)) return undefined;
  if (sdpMLineIndex != null && !(typeof sdpMLineIndex === 'number' && Number.isInteger(sdpMLineIndex) && sdpMLineIndex >= 0 && sdpMLineIndex < 1024)) return undefined;
  if (usernameFragment != null && (typeof usernameFragment !== 'string' || usernameFragment.length > 256)) return undefined;
  const copy = { candidate, sdpMid: (sdpMid as string | null | undefined) ?? null, sdpMLineIndex: (sdpMLineIndex as number | null | undefined) ?? null };
  return usernameFragment == null ? copy : { ...copy, usernameFragment: usernameFragment as string };
}

/** The page's screen in front of peerjs's handling of signalling frames. */
export class SignalGuard {
  /** Offer budgets by sender, least recently seen first. */
  readonly #senders = new Map<string, Bucket>();
  readonly #replies: Bucket;
  /** Held candidates by `${src}\n${connectionId}`, oldest connection first. */
  readonly #held = new Map<string, HeldCandidate[]>();
  #heldCount = 0;
  readonly #declined = new Set<string>();

  constructor(now: number) {
    this.#replies = new Bucket(REPLY_BURST, REPLIES_PER_SECOND / 1000, now);
  }

  /** Candidates held now, in all. */
  get heldCount(): number {
    return this.#heldCount;
  }

  /** Decides what happens to one frame the server sent (parsed JSON, unchecked). */
  inspect(frame: unknown, pool: SignalPoolView, now: number): SignalVerdict {
    if (typeof frame !== 'object' || frame === null) return drop('not an object');
    const { type, src, payload } = frame as { type?: unknown; src?: unknown; payload?: unknown };
    if (typeof type !== 'string') return drop('no type');
    if (PASS_TYPES.has(type)) return PASS;
    if (type !== 'OFFER' && type !== 'ANSWER' && type !== 'CANDIDATE') return drop(`unknown type ${type.slice(0, 32)}`);
    if (!isPeerjsId(src) || typeof payload !== 'object' || payload === null) return drop(`malformed ${type}`);
    const connectionId = (payload as { connectionId?: unknown }).connectionId;
    if (!isConnectionId(connectionId)) return drop(`malformed ${type}`);
    if (type === 'OFFER') return this.#offer(src, connectionId, payload as Record<string, unknown>, pool, now);
    if (pool.knows(src, connectionId)) return PASS;
    // peerjs sends an ANSWER only to the peer that offered; we made no such connection.
    if (type === 'ANSWER') return drop('answer for no connection of ours');
    const key = `${src}\n${connectionId}`;
    if (this.#declined.has(key)) return drop('candidate for a declined offer');
    if (pool.isDropped(src)) return drop('candidate from a dropped peer');
    const candidate = copyCandidate((payload as { candidate?: unknown }).candidate);
    if (!candidate) return drop('malformed candidate');
    this.#hold(key, { type: 'CANDIDATE', src, payload: { type: 'data', connectionId, candidate } });
    return HELD;
  }

  #offer(src: string, connectionId: string, payload: Record<string, unknown>, pool: SignalPoolView, now: number): SignalVerdict {
    // Every offer costs its sender, accepted or not: a flood is dropped unread and unanswered.
    if (!this.#budget(src, now).take(now)) return drop('offers faster than any honest peer makes them');
    // peerjs would close that connection and build another under the same id.
    if (pool.knows(src, connectionId)) return drop('offer for a connection already made');
    const key = `${src}\n${connectionId}`;
    const reason =
      payload.type !== 'data'
        ? 'not a data connection'
        : payload.label !== PEER_PROTOCOL_LABEL || payload.serialization !== 'raw'
          ? 'another protocol'
          : pool.isDropped(src)
            ? 'a dropped peer'
            : !pool.canAccept(src)
              ? 'no room for another connection'
              : undefined;
    if (reason === undefined) {
      const frames = this.#take(key);
      return frames.length > 0 ? { action: 'pass', held: { connectionId, frames } } : PASS;
    }
    this.#take(key);
    this.#declined.add(key);
    if (this.#declined.size > MAX_DECLINED) this.#declined.delete(this.#declined.values().next().value as string);
    return { action: 'decline', reason, peerId: src, reply: this.#replies.take(now) };
  }

  #budget(src: string, now: number): Bucket {
    let bucket = this.#senders.get(src);
    if (bucket) this.#senders.delete(src);
    else bucket = new Bucket(OFFER_BURST, 1 / OFFER_REFILL_MS, now);
    this.#senders.set(src, bucket);
    if (this.#senders.size > MAX_OFFER_SENDERS) this.#senders.delete(this.#senders.keys().next().value as string);
    return bucket;
  }

  #hold(key: string, frame: HeldCandidate): void {
    let list = this.#held.get(key);
    if (!list) this.#held.set(key, (list = []));
    list.push(frame);
    this.#heldCount += 1;
    if (list.length > MAX_HELD_PER_CONNECTION) {
      list.shift();
      this.#heldCount -= 1;
    }
    while (this.#heldCount > MAX_HELD_TOTAL) {
      const [oldestKey, oldest] = this.#held.entries().next().value as [string, HeldCandidate[]];
      oldest.shift();
      this.#heldCount -= 1;
      if (oldest.length === 0) this.#held.delete(oldestKey);
    }
  }

  #take(key: string): HeldCandidate[] {
    const list = this.#held.get(key) ?? [];
    this.#held.delete(key);
    this.#heldCount -= list.length;
    return list;
  }
}
