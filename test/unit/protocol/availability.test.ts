import { describe, expect, it } from '@jest/globals';
import { AVAILABILITY_PATH, parseAvailabilityView } from '../../../protocol/messages/availability.js';
import { TRACKER_LIMITS, parseTrackerServerMessage, type TrackerParseResult } from '../../../protocol/messages/tracker.js';

const H = `sha256-${'A'.repeat(43)}=`;
const H2 = `sha256-${'b+/9'.repeat(10)}abc=`;
const hash = (n: number): string => `sha256-${n.toString(36).padStart(43, 'C')}=`;

function refusal<T>(result: TrackerParseResult<T>): string | undefined {
  return result.ok ? undefined : result.code;
}

describe('parseAvailabilityView', () => {
  it('accepts a view, copying only manifestVersion and files onto a null prototype', () => {
    expect(AVAILABILITY_PATH).toBe('/swarmcdn/availability');
    const view = parseAvailabilityView({ manifestVersion: 3, files: { [H]: 2, [H2]: 1_000_000_000 }, extra: true });
    expect(view).toEqual({ manifestVersion: 3, files: { [H]: 2, [H2]: 1e9 } });
    expect(Object.getPrototypeOf(view!.files)).toBeNull();
    expect(Object.keys(view!)).toEqual(['manifestVersion', 'files']);
    expect(parseAvailabilityView({ manifestVersion: 0, files: {} })).toEqual({ manifestVersion: 0, files: {} });
    // Straight from JSON, as the SW reads it.
    expect(parseAvailabilityView(JSON.parse(`{"manifestVersion":1,"files":{"${H}":7}}`))).toEqual({ manifestVersion: 1, files: { [H]: 7 } });
  });

  it('carries the origin\'s asset max-age when the server sends one, bounded', () => {
    expect(parseAvailabilityView({ manifestVersion: 1, files: {}, assetMaxAgeSeconds: 300 })).toEqual({ manifestVersion: 1, files: {}, assetMaxAgeSeconds: 300 });
    expect(parseAvailabilityView({ manifestVersion: 1, files: {}, assetMaxAgeSeconds: 0 })).toEqual({ manifestVersion: 1, files: {}, assetMaxAgeSeconds: 0 });
    for (const bad of [-1, 1.5, '300', 31_536_001]) expect(parseAvailabilityView({ manifestVersion: 1, files: {}, assetMaxAgeSeconds: bad })).toBeUndefined();
  });

  it('refuses every other shape with undefined, never throwing', () => {
    const bad: unknown[] = [
      undefined, null, 42, 'view', [], { files: {} }, { manifestVersion: 1 }, { manifestVersion: -1, files: {} },
      { manifestVersion: 1.5, files: {} }, { manifestVersion: '1', files: {} }, { manifestVersion: 2 ** 53, files: {} },
      { manifestVersion: 1, files: [] }, { manifestVersion: 1, files: null }, { manifestVersion: 1, files: { nope: 1 } },
      { manifestVersion: 1, files: { [`sha512-${'A'.repeat(43)}=`]: 1 } }, { manifestVersion: 1, files: { [H]: 0 } },
      { manifestVersion: 1, files: { [H]: -1 } }, { manifestVersion: 1, files: { [H]: 1.5 } }, { manifestVersion: 1, files: { [H]: '1' } },
      { manifestVersion: 1, files: { [H]: 1e9 + 1 } }, { manifestVersion: 1, files: { [H]: Number.NaN } }, { manifestVersion: 1, files: { [H]: null } },
    ];
    for (const value of bad) expect([value, parseAvailabilityView(value)]).toEqual([value, undefined]);
    const throwing = { manifestVersion: 1, get files(): never { throw new Error('boom'); } };
    expect(parseAvailabilityView(throwing)).toBeUndefined();
  });

  it('caps entries (default 1,000,000, or the caller\'s)', () => {
    const files = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [hash(i), 1]));
    expect(parseAvailabilityView({ manifestVersion: 1, files }, 10)).toBeUndefined();
    expect(Object.keys(parseAvailabilityView({ manifestVersion: 1, files }, 11)!.files)).toHaveLength(11);
    const many = Object.fromEntries(Array.from({ length: 1_000_001 }, (_, i) => [hash(i), 1]));
    expect(parseAvailabilityView({ manifestVersion: 1, files: many })).toBeUndefined();
  });

  it('does not let a __proto__ key pollute anything', () => {
    const body = JSON.parse(`{"manifestVersion":1,"files":{"__proto__":{"polluted":1},"${H}":1}}`) as unknown;
    expect(parseAvailabilityView(body)).toBeUndefined();
    const numeric = JSON.parse(`{"manifestVersion":1,"files":{"__proto__":5}}`) as unknown;
    expect(parseAvailabilityView(numeric)).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('tracker availability message', () => {
  const frame = (m: unknown): string => JSON.stringify(m);

  it('parses full snapshots and deltas (a count of 0 means nobody holds it any more)', () => {
    const full = parseTrackerServerMessage(frame({ type: 'availability', full: true, files: { [H]: 3 }, extra: 1 }));
    expect(full).toEqual({ ok: true, value: { type: 'availability', full: true, files: { [H]: 3 } } });
    expect(full.ok && Object.getPrototypeOf(full.value.type === 'availability' ? full.value.files : {})).toBeNull();
    expect(parseTrackerServerMessage(frame({ type: 'availability', full: false, files: { [H]: 0, [H2]: 1e9 } }))).toEqual({
      ok: true,
      value: { type: 'availability', full: false, files: { [H]: 0, [H2]: 1e9 } },
    });
    expect(parseTrackerServerMessage(frame({ type: 'availability', full: true, files: {} })).ok).toBe(true);
  });

  it('refuses each invalid shape with TRACKER_MALFORMED', () => {
    const bad: unknown[] = [
      { type: 'availability', files: {} }, { type: 'availability', full: 1, files: {} }, { type: 'availability', full: 'true', files: {} },
      { type: 'availability', full: true }, { type: 'availability', full: true, files: [] }, { type: 'availability', full: true, files: null },
      { type: 'availability', full: true, files: { x: 1 } }, { type: 'availability', full: false, files: { [H]: -1 } },
      { type: 'availability', full: false, files: { [H]: 1e9 + 1 } }, { type: 'availability', full: false, files: { [H]: 0.5 } },
      { type: 'availability', full: false, files: { [H]: '2' } },
    ];
    for (const m of bad) expect([m, refusal(parseTrackerServerMessage(frame(m)))]).toEqual([m, 'TRACKER_MALFORMED']);
    expect(refusal(parseTrackerServerMessage(`{"type":"availability","full":true,"files":{"__proto__":1}}`))).toBe('TRACKER_MALFORMED');
    expect(({} as Record<string, unknown>)[H]).toBeUndefined();
  });

  it('caps the entries in one frame', () => {
    const max = TRACKER_LIMITS.maxAvailabilityEntries;
    expect(max).toBe(8000);
    const files = (n: number): Record<string, number> => Object.fromEntries(Array.from({ length: n }, (_, i) => [hash(i), 1]));
    const atCap = frame({ type: 'availability', full: true, files: files(max) });
    expect(atCap.length).toBeLessThan(TRACKER_LIMITS.maxMessageChars);
    expect(parseTrackerServerMessage(atCap).ok).toBe(true);
    expect(refusal(parseTrackerServerMessage(frame({ type: 'availability', full: true, files: files(max + 1) })))).toBe('TRACKER_TOO_MANY_HASHES');
  });
});
