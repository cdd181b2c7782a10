/**
 * Prometheus metrics and the dashboard's data over a real server on 127.0.0.1 with a signed
 * manifest and real signalling sockets: the exposition is parsed, and each value must move with
 * what happens (a relayed OFFER, a refused frame by its code, tracker answers and refusals, the
 * manifest version and a refused manifest file, the bytes a page reports, open sockets), process
 * metrics are there; the dashboard's data names the most held files and hands out history; both
 * are off by default (404).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDashboardData } from '../../protocol/messages/dashboard.js';
import { TempDirs, assertCliBuilt, keygen, readEnvelope, swarmcdnJson, writeTree, type KeyFiles } from '../support/cli.js';
import { signalledSocket, startServer, type SignalledSocket, type Started } from './server-helpers.js';

const temps = new TempDirs();
let keys: KeyFiles;
let siteDir: string;
let server: Started;
const sockets: SignalledSocket[] = [];

/** One sample of the exposition: `name{labels}` → value, labels as prom-client prints them. */
function parseExposition(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    values.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return values;
}

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/swarmcdn/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** A metric's value, 0 when absent (a labelled counter shows only labels that counted). */
async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const key = Object.keys(labels).length === 0 ? name : `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
  return (await scrape()).get(key) ?? 0;
}

async function eventually(check: () => Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function open(): Promise<SignalledSocket> {
  const socket = await signalledSocket(server.url);
  sockets.push(socket);
  return socket;
}

/** The next frame of `type` a socket receives (frames are kept as text). */
async function frame(socket: SignalledSocket, type: string): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await eventually(async () => {
    const at = socket.frames.findIndex((f) => (JSON.parse(f) as { type?: string }).type === type);
    if (at >= 0) found = JSON.parse(socket.frames.splice(at, 1)[0]!) as Record<string, unknown>;
    return found !== undefined;
  }, `a ${type} frame`);
  return found!;
}

async function build(): Promise<void> {
  const run = await swarmcdnJson(['manifest', 'build', siteDir, '--key', keys.key, '--threads', '0']);
  if (run.code !== 0) throw new Error(`build failed: ${JSON.stringify(run)}`);
}

beforeAll(async () => {
  assertCliBuilt();
  keys = await keygen(await temps.make('swarmcdn-metrics-keys-'));
  siteDir = join(await temps.make('swarmcdn-metrics-'), 'site');
  await writeTree(siteDir, { 'index.html': '<h1>hi</h1>', 'app.js': 'console.log(1)', 'img/a.bin': 'a'.repeat(3000) });
  await build();
  server = await startServer({ siteDir, publicKeys: [await readFile(keys.pub, 'utf8')], metrics: true, dashboard: true });
});

afterAll(async () => {
  for (const s of sockets) s.ws.terminate();
  await server?.app.close();
  await temps.cleanup();
});

describe('GET /swarmcdn/metrics', () => {
  it('counts a relayed OFFER by type, and a refused frame by its code', async () => {
    const offers = await metric('swarmcdn_signalling_relayed_total', { type: 'OFFER' });
    const malformed = await metric('swarmcdn_signalling_refusals_total', { code: 'SIGNAL_MALFORMED' });
    const [a, b] = [await open(), await open()];
    a.ws.send(JSON.stringify({ type: 'OFFER', dst: b.id, payload: { sdp: { type: 'offer', sdp: 'v=0\r\n' }, type: 'data', connectionId: 'dc_1' } }));
    expect(await frame(b, 'OFFER')).toMatchObject({ src: a.id });
    expect(await metric('swarmcdn_signalling_relayed_total', { type: 'OFFER' })).toBe(offers + 1);
    const closed = new Promise<number>((resolve) => a.ws.once('close', (code) => resolve(code)));
    a.ws.send('this is not JSON');
    expect(await closed).toBe(1008);
    expect(await metric('swarmcdn_signalling_refusals_total', { code: 'SIGNAL_MALFORMED' })).toBe(malformed + 1);
  });

  it('follows open sockets', async () => {
    const before = await metric('swarmcdn_peers', { endpoint: 'signalling' });
    expect(before).toBe(server.app.swarmcdn.connections.signalling);
    const extra = [await open(), await open()];
    expect(await metric('swarmcdn_peers', { endpoint: 'signalling' })).toBe(before + 2);
    for (const s of extra) s.ws.close();
    await eventually(async () => (await metric('swarmcdn_peers', { endpoint: 'signalling' })) === before, 'the gauge back down');
  });

  it('counts tracker answers by type and refusals by code, and shows the bytes pages report', async () => {
    const joined = await metric('swarmcdn_tracker_answers_total', { type: 'joined' });
    const pongs = await metric('swarmcdn_tracker_answers_total', { type: 'pong' });
    const peer = await metric('swarmcdn_client_bytes_total', { source: 'peer' });
    const page = await open();
    page.ws.send(JSON.stringify({ type: 'join', site: server.url }));
    await frame(page, 'joined');
    expect(await metric('swarmcdn_tracker_answers_total', { type: 'joined' })).toBe(joined + 1);
    expect(await metric('swarmcdn_peers', { endpoint: 'tracker' })).toBeGreaterThanOrEqual(1);
    expect(await metric('swarmcdn_tracked_peers')).toBeGreaterThanOrEqual(1);
    // The byte allowance starts empty at the join and fills at 125 MB/s: a few ms cover 5,000 bytes.
    await new Promise((resolve) => setTimeout(resolve, 50));
    page.ws.send(JSON.stringify({ type: 'stats', peer: 5000, cache: 700, origin: 90 }));
    page.ws.send(JSON.stringify({ type: 'ping' }));
    await frame(page, 'pong');
    expect(await metric('swarmcdn_tracker_answers_total', { type: 'pong' })).toBe(pongs + 1);
    expect(await metric('swarmcdn_client_bytes_total', { source: 'peer' })).toBe(peer + 5000);
    expect(await metric('swarmcdn_client_bytes_total', { source: 'origin' })).toBe(server.app.swarmcdn.bytes.origin);
    const again = await metric('swarmcdn_tracker_refusals_total', { code: 'TRACKER_ALREADY_JOINED' });
    page.ws.send(JSON.stringify({ type: 'join', site: server.url }));
    expect(await frame(page, 'error')).toMatchObject({ code: 'TRACKER_ALREADY_JOINED' });
    expect(await metric('swarmcdn_tracker_refusals_total', { code: 'TRACKER_ALREADY_JOINED' })).toBe(again + 1);
  });

  it('shows the manifest version, and counts a refused manifest file by its code', async () => {
    expect(await metric('swarmcdn_manifest_version')).toBe(1);
    expect(await metric('swarmcdn_manifest_published_total')).toBe(1);
    const manifestFile = join(siteDir, 'swarmcdn-manifest.json');
    const good = await readFile(manifestFile, 'utf8');
    await writeFile(manifestFile, '{"payloadType": 1}');
    await eventually(async () => (await metric('swarmcdn_manifest_refusals_total', { code: 'MANIFEST_MALFORMED' })) === 1, 'a MANIFEST_MALFORMED refusal');
    expect(await metric('swarmcdn_manifest_version')).toBe(1);
    await writeFile(manifestFile, good);
    await build();
    await eventually(async () => (await metric('swarmcdn_manifest_version')) === 2, 'version 2 published');
    expect(await metric('swarmcdn_manifest_published_total')).toBe(2);
  });

  it('has process metrics, prefixed, and every name starts with swarmcdn_', async () => {
    const values = await scrape();
    expect(values.get('swarmcdn_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(values.get('swarmcdn_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect([...values.keys()].filter((k) => !k.startsWith('swarmcdn_'))).toEqual([]);
  });
});

describe('GET /swarmcdn/dashboard/data', () => {
  it('names the most held files of the site, and hands out only newer samples', async () => {
    const { manifest } = await readEnvelope(join(siteDir, 'swarmcdn-manifest.json'));
    const page = await open();
    page.ws.send(JSON.stringify({ type: 'join', site: server.url }));
    await frame(page, 'joined');
    page.ws.send(JSON.stringify({ type: 'have', hashes: [manifest.files['/app.js']!.integrity, manifest.files['/img/a.bin']!.integrity] }));
    const other = await open();
    other.ws.send(JSON.stringify({ type: 'join', site: server.url }));
    await frame(other, 'joined');
    other.ws.send(JSON.stringify({ type: 'have', hashes: [manifest.files['/img/a.bin']!.integrity] }));
    let data = parseDashboardData(undefined);
    await eventually(async () => {
      data = parseDashboardData(await (await fetch(`${server.url}/swarmcdn/dashboard/data`)).json());
      return data !== undefined && data.topFiles.length === 2;
    }, 'two files held');
    expect(data!.topFiles).toEqual([
      { path: '/img/a.bin', holders: 2 },
      { path: '/app.js', holders: 1 },
    ]);
    expect(data!.peers.signalling).toBe(server.app.swarmcdn.connections.signalling);
    expect(data!.manifestVersion).toBe(server.app.swarmcdn.currentManifest?.version);
    expect(data!.samples.length).toBeGreaterThan(0);
    // Another site's swarm holds nothing.
    const elsewhere = parseDashboardData(await (await fetch(`${server.url}/swarmcdn/dashboard/data?site=${encodeURIComponent('https://b.example')}`)).json());
    expect(elsewhere?.topFiles).toEqual([]);
    const later = parseDashboardData(await (await fetch(`${server.url}/swarmcdn/dashboard/data?since=${data!.now}`)).json());
    expect(later!.samples.every((s) => s.t > data!.now)).toBe(true);
    expect(later!.samples.length).toBeLessThan(data!.samples.length);
    const bad = await fetch(`${server.url}/swarmcdn/dashboard/data?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'REQUEST_INVALID' });
  });

  it('serves the page, its script and its stylesheet, with a CSP', async () => {
    const page = await fetch(`${server.url}/swarmcdn/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="/swarmcdn/dashboard/dashboard.js"');
    for (const [path, type] of [['/swarmcdn/dashboard/dashboard.js', 'application/javascript'], ['/swarmcdn/dashboard/dashboard.css', 'text/css']] as const) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect((await res.text()).length).toBeGreaterThan(1000);
    }
  });
});

describe('the options', () => {
  it('are off by default: no metrics, no dashboard', async () => {
    const plain = await startServer({ siteDir, publicKeys: [await readFile(keys.pub, 'utf8')] });
    try {
      for (const path of ['/swarmcdn/metrics', '/swarmcdn/dashboard', '/swarmcdn/dashboard/data']) {
        const res = await fetch(`${plain.url}${path}`);
        expect(res.status).toBe(404);
        expect(await res.json()).toMatchObject({ code: 'NOT_FOUND' });
      }
    } finally {
      await plain.app.close();
    }
  });

  it('refuse a value that is not a boolean', async () => {
    const { buildServer } = await import('../../server/build-server.js');
    expect(() => buildServer({ siteDir, metrics: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
