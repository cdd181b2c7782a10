/**
 * Whether a new signalling socket may hold the id it asks for, decided from its URL query alone:
 * `…/peerjs?key=K&id=I&token=T&version=V`, as the stock client builds it, and the client's address.
 * Checks, in order: the parameters, the key, capacity and the address's share of it (unless this
 * is the same id reconnecting from the same address), and the id's binding to the token in the
 * store. The store binds an issued id to the first token that claims it.
 */
import { ERROR_CATALOGUE, type ErrorCode } from '../../protocol/errors.js';
import { isPeerjsId, isPeerjsToken, peerjsErrorFrame } from '../../protocol/messages/peerjs.js';
import type { SignallingOptions } from '../options.js';
import type { SignallingStore } from '../store/store.js';
import type { PeerRegistry } from './peer-registry.js';

/** The decision: admit (id), or refuse with a frame to send and a WebSocket close code. */
export type Admission =
  | { readonly ok: true; readonly id: string }
  | { readonly ok: false; readonly code: ErrorCode; readonly frame: string; readonly closeCode: number };

// RFC 6455 §7.4.1: 1008 policy violation; 1013 try again later.
const POLICY = 1008;
const TRY_LATER = 1013;

function refuse(code: ErrorCode, closeCode: number, type: 'ERROR' | 'ID-TAKEN' = 'ERROR'): Admission {
  return { ok: false, code, frame: peerjsErrorFrame(type, code, ERROR_CATALOGUE[code].summary), closeCode };
}
// Built once: refusals are the answer to floods, so they should cost nothing.
const REFUSALS = {
  params: refuse('SIGNAL_PARAMS_INVALID', POLICY),
  key: refuse('SIGNAL_KEY_INVALID', POLICY),
  capacity: refuse('SIGNAL_CAPACITY', TRY_LATER),
  address: refuse('SIGNAL_ADDRESS_CAPACITY', TRY_LATER),
  unknown: refuse('SIGNAL_ID_UNKNOWN', POLICY),
  taken: refuse('SIGNAL_ID_TAKEN', POLICY, 'ID-TAKEN'),
} as const;

/** Decides a connection attempt from `addressKey` (address-key.ts); claims the id in the store when it is admitted. */
export function decideAdmission(
  query: unknown,
  options: Pick<SignallingOptions, 'key' | 'maxConnections' | 'maxConnectionsPerAddress'>,
  registry: PeerRegistry,
  store: SignallingStore,
  addressKey: string,
): Admission {
  const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
  const { key, id, token } = q;
  // A repeated parameter arrives as an array: refused like a missing one.
  if (typeof key !== 'string' || !isPeerjsId(id) || !isPeerjsToken(token)) return REFUSALS.params;
  if (key !== options.key) return REFUSALS.key;
  // Same id reconnecting replaces its own socket, so it does not count against the cap (nor
  // against its address's, unless it comes back from another address).
  const current = registry.get(id);
  if (current === undefined && registry.size >= options.maxConnections) return REFUSALS.capacity;
  if (current?.addressKey !== addressKey && registry.countAt(addressKey) >= options.maxConnectionsPerAddress) return REFUSALS.address;
  if (store.claimId(id, token)) return { ok: true, id };
  // The store says no: either someone holds the id (live or in its reconnect grace) with another
  // token, or this server never issued it (or it expired unclaimed).
  return registry.isBound(id) ? REFUSALS.taken : REFUSALS.unknown;
}
