/**
 * The dashboard's pure pieces: the chart columns (offload per interval and since start, a restart
 * starting afresh, the cap), the server's sample history (bounded, `since`), the top files
 * (most held first, ties by path, named only when the manifest lists them) and the data parser.
 */
import { describe, expect, it } from '@jest/globals';
import { OffloadSeries, offloadPercent } from '../../../dashboard/series.js';
import { parseDashboardData } from '../../../protocol/messages/dashboard.js';
import { DashboardHistory } from '../../../server/metrics/history.js';
import { TopFiles } from '../../../server/metrics/top-files.js';

const sample = (t: number, peer: number, cache: number, origin: number, peers = 1) => ({ t, peers, peer, cache, origin });

describe('OffloadSeries', () => {
  it('computes offload per interval and since start, skips repeats, and starts afresh after a restart', () => {
    const series = new OffloadSeries(10);
    expect(series.push([sample(1000, 0, 0, 0), sample(2000, 300, 0, 100), sample(2000, 999, 0, 0)])).toBe(true);
    expect(series.push([sample(3000, 300, 100, 500), sample(4000, 10, 0, 0)])).toBe(true);
    expect(series.push([sample(1500, 0, 0, 0)])).toBe(false);
    const [t, interval, total, peers] = series.columns;
    expect(t).toEqual([1, 2, 3, 4]);
    expect(interval).toEqual([null, 75, 20, null]);
    expect(total).toEqual([null, 75, 400 / 900 * 100, 100]);
    expect(peers).toEqual([1, 1, 1, 1]);
    expect(offloadPercent({ peer: 0, cache: 0, origin: 0 })).toBeNull();
  });

  it('keeps at most its cap of points', () => {
    const series = new OffloadSeries(3);
    series.push(Array.from({ length: 7 }, (_, i) => sample(1000 * (i + 1), i, 0, 0)));
    expect(series.columns[0]).toEqual([5, 6, 7]);
    expect(series.columns.every((c) => c.length === 3)).toBe(true);
  });
});

describe('DashboardHistory', () => {
  it('keeps the newest samples and returns those after a time', () => {
    let now = 0;
    let peers = 0;
    const history = new DashboardHistory(() => ({ peers: peers++, peer: 0, cache: 0, origin: 0 }), { max: 3, now: () => (now += 1000) });
    for (let i = 0; i < 5; i++) history.sample();
    expect(history.since(0).map((s) => s.t)).toEqual([3000, 4000, 5000]);
    expect(history.since(4000).map((s) => s.peers)).toEqual([4]);
    expect(history.since(5000)).toEqual([]);
  });
});

describe('TopFiles', () => {
  const envelope = (files: Record<string, string>): { envelopeJson: string } => {
    const manifest = {
      type: 'swarmcdn/manifest@1', version: 1, issuedAt: '2026-01-01T00:00:00.000Z', expiresAt: '2027-01-01T00:00:00.000Z', chunkSize: 1024,
      files: Object.fromEntries(Object.entries(files).map(([path, integrity]) => [path, { size: 0, contentType: 'text/plain', integrity, chunks: [] }])),
    };
    const payload = Buffer.from(JSON.stringify(manifest)).toString('base64');
    return { envelopeJson: JSON.stringify({ payloadType: 'application/vnd.swarmcdn.manifest+json', payload, signatures: [{ keyid: 'k', sig: 'AA==' }] }) };
  };
  const h = (n: number): string => `sha256-${String(n).padStart(43, 'A')}=`;

  it('lists the most held first, ties by path, at most the limit, and only files the manifest names', () => {
    const top = new TopFiles();
    const manifest = envelope({ '/b': h(1), '/a': h(2), '/c': h(3), '/d': h(4) });
    const counts = { [h(1)]: 2, [h(2)]: 2, [h(3)]: 5, [h(4)]: 1, [h(9)]: 99 };
    expect(top.top(manifest, counts, 3)).toEqual([
      { path: '/c', holders: 5 },
      { path: '/a', holders: 2 },
      { path: '/b', holders: 2 },
    ]);
    expect(top.top(undefined, counts)).toEqual([]);
  });
});

describe('parseDashboardData', () => {
  const good = { now: 5, peers: { signalling: 1, tracker: 1 }, swarms: 1, bytes: { peer: 1, cache: 0, origin: 2 }, manifestVersion: null, topFiles: [{ path: '/a', holders: 1 }], samples: [sample(1, 1, 0, 2)] };

  it('takes a well-formed body and refuses anything off its shape or bounds', () => {
    expect(parseDashboardData(good)).toEqual(good);
    expect(parseDashboardData({ ...good, bytes: { peer: -1, cache: 0, origin: 0 } })).toBeUndefined();
    expect(parseDashboardData({ ...good, topFiles: Array.from({ length: 11 }, () => ({ path: '/a', holders: 1 })) })).toBeUndefined();
    expect(parseDashboardData({ ...good, samples: [{ t: 'x' }] })).toBeUndefined();
    expect(parseDashboardData({ ...good, manifestVersion: 1.5 })).toBeUndefined();
    expect(parseDashboardData('nope')).toBeUndefined();
  });
});
