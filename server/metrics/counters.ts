/**
 * The server's event counters, as plain number fields: the signalling hub, the tracker sessions
 * and manifest publishing increment them where things happen, and the Prometheus registry
 * (registry.ts) reads them in its collect() callbacks at scrape time. So the relay's hot path costs
 * one property increment per frame, with no prom-client call and no label object per frame.
 * Every map is keyed by a catalogue code or a message type: bounded by the protocol, not by clients.
 */
import type { ErrorCode } from '../../protocol/errors.js';
import type { PeerjsRelayType } from '../../protocol/messages/peerjs.js';
import type { TrackerServerMessage } from '../../protocol/messages/tracker.js';

/** Tracker frames the server sends, by type. */
export type TrackerAnswerType = TrackerServerMessage['type'];

/** What the signalling hub counts. */
export interface SignallingCounters {
  /** Frames accepted for relay (delivered, queued or answered with EXPIRE), by type. */
  readonly relayed: Record<PeerjsRelayType, number>;
  /** Sockets, frames and id requests refused, by catalogue code. */
  readonly refusals: Map<ErrorCode, number>;
}

/** What the tracker counts. */
export interface TrackerCounters {
  /** Frames sent to sessions, by type (an availability snapshot over several frames counts each). */
  readonly answers: Record<TrackerAnswerType, number>;
  /** Sessions closed with an error, by catalogue code. */
  readonly refusals: Map<ErrorCode, number>;
}

/** What manifest publishing counts. */
export interface ManifestCounters {
  /** Manifests published (start-up included). */
  published: number;
  /** Manifest files refused after start-up, by catalogue code (the last good one stayed). */
  readonly refusals: Map<ErrorCode, number>;
}

/** Every counter of one server. */
export interface ServerCounters {
  readonly signalling: SignallingCounters;
  readonly tracker: TrackerCounters;
  readonly manifest: ManifestCounters;
}

/** Fresh signalling counters (the hub makes its own when the server gives none). */
export function createSignallingCounters(): SignallingCounters {
  return { relayed: { OFFER: 0, ANSWER: 0, CANDIDATE: 0, LEAVE: 0, EXPIRE: 0 }, refusals: new Map() };
}

/** Fresh tracker counters. */
export function createTrackerCounters(): TrackerCounters {
  return { answers: { joined: 0, peers: 0, manifest: 0, availability: 0, error: 0, pong: 0 }, refusals: new Map() };
}

/** Fresh counters for one server. */
export function createServerCounters(): ServerCounters {
  return { signalling: createSignallingCounters(), tracker: createTrackerCounters(), manifest: { published: 0, refusals: new Map() } };
}

/** Counts one refusal under its code. */
export function countRefusal(refusals: Map<ErrorCode, number>, code: ErrorCode): void {
  refusals.set(code, (refusals.get(code) ?? 0) + 1);
}
