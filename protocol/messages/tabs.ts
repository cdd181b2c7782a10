/**
 * Tab ⇄ tab: the pages of one site in one browser profile elect one leader (the Web Locks API),
 * which alone runs the bridge core and lends it to the SW; the others (followers) ask it over a
 * BroadcastChannel who leads and what its counters say. Tabs may run different builds across a
 * deploy, so every message is parsed: an unknown or malformed one is ignored.
 */

/** The page's own counters as the leader reports them (swarm.stats() in every tab). */
export interface LeaderCounters {
  readonly peerId: string | undefined;
  readonly connections: number;
  readonly uploadBytes: number;
  readonly servedChunks: number;
  readonly droppedPeers: number;
  readonly bytesByPeer: Readonly<Record<string, number>>;
  /** Whether the visitor uploads now, and why not (page-bridge/upload-policy.ts). */
  readonly upload: UploadView;
}

/** Why a visitor does not upload. */
export const UPLOAD_BLOCKS = ['site', 'user', 'save-data', 'metered', 'hidden'] as const;

/** Uploads now: on, or off with the reason. */
export type UploadView = { readonly on: true } | { readonly on: false; readonly reason: (typeof UPLOAD_BLOCKS)[number] };

function parseUpload(v: unknown): UploadView | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const u = v as Record<string, unknown>;
  if (u.on === true) return { on: true };
  const reason = UPLOAD_BLOCKS.find((r) => r === u.reason);
  return u.on === false && reason ? { on: false, reason } : undefined;
}

/** What travels on the tabs' channel. */
export type TabMessage =
  /** A follower asks who leads (the leader answers `leader`). */
  | { readonly type: 'swarmcdn/who-leads' }
  /** The leader, on election, when its peer opens, and in answer to `who-leads`. */
  | { readonly type: 'swarmcdn/leader'; readonly peerId: string | undefined }
  /** A follower asks for the leader's counters; `id` pairs the answer. */
  | { readonly type: 'swarmcdn/counters?'; readonly id: string }
  /** The leader's counters, for request `id`. */
  | { readonly type: 'swarmcdn/counters'; readonly id: string; readonly counters: LeaderCounters };

/** Peer ids counted in an answer: far above what a page meets; it bounds what a message can cost. */
const MAX_PEERS = 1_024;
/** Ids (peer ids, request ids) longer than this are refused. */
const MAX_ID = 128;

const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function parseCounters(v: unknown): LeaderCounters | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const c = v as Record<string, unknown>;
  if (!(c.peerId === undefined || isId(c.peerId))) return undefined;
  if (!isCount(c.connections) || !isCount(c.uploadBytes) || !isCount(c.servedChunks) || !isCount(c.droppedPeers)) return undefined;
  if (typeof c.bytesByPeer !== 'object' || c.bytesByPeer === null) return undefined;
  const entries = Object.entries(c.bytesByPeer as Record<string, unknown>);
  if (entries.length > MAX_PEERS || !entries.every(([id, n]) => isId(id) && isCount(n))) return undefined;
  const bytesByPeer = Object.fromEntries(entries) as Record<string, number>;
  const upload = parseUpload(c.upload);
  if (!upload) return undefined;
  return { peerId: c.peerId, connections: c.connections, uploadBytes: c.uploadBytes, servedChunks: c.servedChunks, droppedPeers: c.droppedPeers, bytesByPeer, upload };
}

/** A tab message, or undefined for anything else. Never throws. */
export function parseTabMessage(data: unknown): TabMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'swarmcdn/who-leads':
      return { type: m.type };
    case 'swarmcdn/leader':
      return m.peerId === undefined || isId(m.peerId) ? { type: m.type, peerId: m.peerId } : undefined;
    case 'swarmcdn/counters?':
      return isId(m.id) ? { type: m.type, id: m.id } : undefined;
    case 'swarmcdn/counters': {
      const counters = parseCounters(m.counters);
      return isId(m.id) && counters ? { type: m.type, id: m.id, counters } : undefined;
    }
    default:
      return undefined;
  }
}
