/**
 * Which frames on a signalling socket are tracker messages. Tracker types are lower case and
 * PeerJS's upper case (protocol/messages/tracker.ts); a client puts `type` first, so a frame that
 * begins `{"type":"` and a lower-case letter is the tracker's, decided from ten bytes with no parse.
 * A frame with its keys in another order costs a full parse, and only after the relay's own parser
 * refused it as an unknown type.
 */
import { TRACKER_CLIENT_TYPES } from '../../protocol/messages/tracker.js';

const PREFIX = Buffer.from('{"type":"');
const LOWER_A = 0x61;
const LOWER_Z = 0x7a;

/** True when the frame starts the way every tracker message a client builds starts. */
export function startsAsTrackerFrame(raw: Buffer): boolean {
  if (raw.length <= PREFIX.length) return false;
  for (let i = 0; i < PREFIX.length; i += 1) if (raw[i] !== PREFIX[i]) return false;
  const first = raw[PREFIX.length]!;
  return first >= LOWER_A && first <= LOWER_Z;
}

/** True when the frame is a JSON object whose `type` is a tracker client type (the slow path). */
export function hasTrackerType(raw: Buffer): boolean {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    return typeof value === 'object' && value !== null && TRACKER_CLIENT_TYPES.has(String((value as { type?: unknown }).type));
  } catch {
    return false;
  }
}
