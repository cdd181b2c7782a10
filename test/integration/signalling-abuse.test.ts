/**
 * The signalling relay against abuse, with buildServer (tracker included) on 127.0.0.1 and clients
 * on other loopback addresses (127.0.0.2…: each its own address for the per-address caps):
 * - flooding a peer never closes it: what it cannot take is dropped and the senders get EXPIRE;
 * - frames wait only for ids the server issued, within per-sender and per-address quotas;
 *   anything else is EXPIRE at once, so junk cannot crowd out a real OFFER;
 * - one address cannot hold every connection nor take unbounded ids, and the defaults let a NAT
 *   full of pages in.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { get } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { SignallingOptions } from '../../server/options.js';
import { startServer } from './server-helpers.js';

const servers: FastifyInstance[] = [];
const dirs: string[] = [];
const clients: Client[] = [];

afterAll(async () => {
  for (const client of clients) client.ws.terminate();
  await Promise.all(servers.map((app) => app.close()));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A server with these signalling options; its port. */
async function start(signalling: Partial<SignallingOptions> = {}): Promise<{ app: FastifyInstance; port: number }> {
  const siteDir = await mkdtemp(join(tmpdir(), 'swarmcdn-signal-abuse-'));
  dirs.push(siteDir);
  const { app, port } = await startServer({ siteDir, signalling });
  servers.push(app);
  return { app, port };
}

/** `GET …/id` sent from `localAddress`: status, body, and the headers that matter. */
function getId(port: number, localAddress = '127.0.0.1'): Promise<{ status: number; body: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/swarmcdn/peerjs/peerjs/id', localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
  });
}

async function issuedId(port: number, localAddress = '127.0.0.1'): Promise<string> {
  const { status, body } = await getId(port, localAddress);
  expect(status).toBe(200);
  return body;
}

/** A message the server sent, parsed. */
interface Frame {
  type: string;
  src?: string;
  dst?: string;
  payload?: { code?: string; connectionId?: string };
}

let tokens = 0;

/** A raw signalling socket that records what it receives and how it closed. */
class Client {
  readonly inbox: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #wake: (() => void) | undefined;

  private constructor(
    readonly ws: WebSocket,
    readonly id: string,
    readonly token: string,
  ) {
    ws.on('message', (data) => {
      this.inbox.push(JSON.parse(String(data)) as Frame);
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
    clients.push(this);
  }

  /** Connects with `id` (a fresh one by default) from `localAddress`; resolves when the socket is open, before OPEN. */
  static async connect(port: number, options: { localAddress?: string; id?: string; token?: string } = {}): Promise<Client> {
    const id = options.id ?? (await issuedId(port));
    const token = options.token ?? `abuse${++tokens}`;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/swarmcdn/peerjs/peerjs?key=peerjs&id=${id}&token=${token}&version=1.5.5`, {
      localAddress: options.localAddress ?? '127.0.0.1',
    });
    const client = new Client(ws, id, token);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  /** A connected peer that got OPEN. */
  static async peer(port: number, options: { localAddress?: string; id?: string; token?: string } = {}): Promise<Client> {
    const client = await Client.connect(port, options);
    await client.until(() => client.count('OPEN') === 1);
    return client;
  }

  count(type: string, match: (f: Frame) => boolean = () => true): number {
    return this.inbox.filter((f) => f.type === type && match(f)).length;
  }

  /** Waits until `check` holds, within `ms`. */
  async until(check: () => boolean, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.id}: not within ${ms} ms; last frames: ${this.inbox.slice(-5).map(frameSummary).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** A tracker ping round trip: every frame this socket sent before it has been handled. */
  async sync(): Promise<void> {
    const pongs = this.count('pong');
    this.send({ type: 'ping' });
    await this.until(() => this.count('pong') > pongs, 10_000);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }
}

const offer = (dst: string, connectionId = 'dc_1', pad = ''): Record<string, unknown> => ({
  type: 'OFFER',
  dst,
  payload: { sdp: { type: 'offer', sdp: `v=0\r\n${pad}` }, type: 'data', connectionId, serialization: 'raw' },
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A frame in a failure message: its type and code (an OFFER here may be 60 KiB). */
const frameSummary = (f: Frame): string => (f.payload?.code ? `${f.type} ${f.payload.code}` : f.type);

/** Expects an ERROR frame with `code`, then the close with `closeCode` and the code as reason, within 5 s. */
async function expectRefusal(client: Client, code: string, closeCode: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ code: number; reason: string }>((resolve) => {
    timer = setTimeout(() => resolve({ code: 0, reason: `still open after 5 s; got ${client.inbox.map(frameSummary).join(', ')}` }), 5_000);
  });
  expect(await Promise.race([client.closed, late])).toEqual({ code: closeCode, reason: code });
  clearTimeout(timer);
  expect(client.inbox.filter((f) => f.type === 'ERROR').map((f) => f.payload?.code)).toEqual([code]);
}

describe('flooding a peer', () => {
  it('never closes the flooded peer: what it cannot take is dropped, and each sender gets EXPIRE for it', async () => {
    // The senders keep within their message rate (raised so that the flood takes a second, not eight).
    const { app, port } = await start({ ratePerSecond: 1_000, rateBurst: 1_000 });
    const victim = await Client.peer(port);
    victim.send({ type: 'join', site: 'https://a.example' });
    await victim.until(() => victim.count('joined') === 1);
    const senders = [await Client.peer(port, { localAddress: '127.0.0.2' }), await Client.peer(port, { localAddress: '127.0.0.3' })];
    // The victim stops reading: the kernel's buffers fill, then the server's.
    victim.ws.pause();
    const PER_SENDER = 380;
    const pad = 'a'.repeat(60 * 1024);
    for (let i = 0; i < PER_SENDER; i++) for (const sender of senders) sender.send(offer(victim.id, `dc_${i}`, pad));
    await Promise.all(senders.map((s) => s.sync()));
    // The server still holds all three sockets (the victim cannot read a close now, so ask the server).
    expect(app.swarmcdn.connections.signalling).toBe(3);
    const expired = senders.map((s) => s.count('EXPIRE', (f) => f.src === victim.id && f.dst === s.id));
    // 44 MiB cannot all sit in buffers: some were dropped, and their senders told.
    expect(expired[0]! + expired[1]!).toBeGreaterThan(0);
    expect(victim.ws.readyState).toBe(WebSocket.OPEN);

    victim.ws.resume();
    const delivered = 2 * PER_SENDER - expired[0]! - expired[1]!;
    await victim.until(() => victim.count('OFFER') === delivered, 20_000);
    // Every frame either arrived or earned its sender an EXPIRE; the victim was never refused.
    expect(victim.count('ERROR')).toBe(0);
    expect(senders.map((s) => s.count('ERROR'))).toEqual([0, 0]);
    // It still relays and still has its tracker session.
    await victim.sync();
    senders[0]!.send(offer(victim.id, 'dc_after'));
    await victim.until(() => victim.count('OFFER', (f) => f.payload?.connectionId === 'dc_after') === 1);
    expect(victim.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('the offline queue', () => {
  it('answers a frame for an id never issued with EXPIRE at once, so junk cannot crowd out a real OFFER', async () => {
    const { app, port } = await start({ queueTotal: 20 });
    const attacker = await Client.peer(port, { localAddress: '127.0.0.2' });
    const madeUp = Array.from({ length: 30 }, (_, i) => `madeup${i}`);
    for (const id of madeUp) attacker.send(offer(id));
    await attacker.until(() => attacker.count('EXPIRE') === madeUp.length, 1_000);
    expect(attacker.inbox.filter((f) => f.type === 'EXPIRE').map((f) => f.src)).toEqual(madeUp);

    const sender = await Client.peer(port, { localAddress: '127.0.0.3' });
    const later = await issuedId(port);
    sender.send(offer(later, 'dc_real'));
    await sender.sync();
    expect(sender.count('EXPIRE')).toBe(0);
    const dst = await Client.peer(port, { id: later });
    await dst.until(() => dst.count('OFFER', (f) => f.src === sender.id && f.payload?.connectionId === 'dc_real') === 1);
    expect(app.swarmcdn.connections.signalling).toBeGreaterThanOrEqual(3);
  });

  it('lets one sender, and one address, hold only its quota of the queue', async () => {
    const { port } = await start({ queueTotal: 20, queuePerSender: 5 });
    const attacker = await Client.peer(port, { localAddress: '127.0.0.2' });
    // Ids of its own, issued and never claimed: frames for them may wait, within its quota.
    const own = await Promise.all(Array.from({ length: 6 }, () => issuedId(port, '127.0.0.2')));
    for (const id of own) for (const connectionId of ['dc_a', 'dc_b']) attacker.send(offer(id, connectionId));
    await attacker.sync();
    expect(attacker.count('EXPIRE')).toBe(12 - 5);
    // Another socket of the same address adds nothing: the address's share (5 of 20 here) is full.
    const accomplice = await Client.peer(port, { localAddress: '127.0.0.2' });
    accomplice.send(offer(own[5]!));
    await accomplice.sync();
    expect(accomplice.count('EXPIRE')).toBe(1);

    const sender = await Client.peer(port, { localAddress: '127.0.0.3' });
    const later = await issuedId(port);
    for (let i = 0; i < 5; i++) sender.send(offer(later, `dc_${i}`));
    await sender.sync();
    expect(sender.count('EXPIRE')).toBe(0);
    const dst = await Client.peer(port, { id: later });
    await dst.until(() => dst.count('OFFER') === 5);
    expect(dst.inbox.filter((f) => f.type === 'OFFER').map((f) => f.payload?.connectionId)).toEqual(['dc_0', 'dc_1', 'dc_2', 'dc_3', 'dc_4']);
  });

  it('queues for an id in its reconnect grace, not for one that expired unclaimed', async () => {
    const { port } = await start({ idTtlMs: 200 });
    const sender = await Client.peer(port);
    const away = await Client.peer(port);
    away.ws.close();
    await away.closed;
    await sleep(50);
    sender.send(offer(away.id, 'dc_grace'));
    const stale = await issuedId(port);
    await sleep(300);
    sender.send(offer(stale, 'dc_stale'));
    await sender.sync();
    expect(sender.inbox.filter((f) => f.type === 'EXPIRE').map((f) => f.src)).toEqual([stale]);
    const back = await Client.peer(port, { id: away.id, token: away.token });
    await back.until(() => back.count('OFFER', (f) => f.payload?.connectionId === 'dc_grace') === 1);
  });
});

describe('per-address limits', () => {
  it('caps the connections of one address (SIGNAL_ADDRESS_CAPACITY, 1013); other addresses are unaffected', async () => {
    const { app, port } = await start({ maxConnectionsPerAddress: 3 });
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await Client.peer(port, { localAddress: '127.0.0.2' }));
    await expectRefusal(await Client.connect(port, { localAddress: '127.0.0.2' }), 'SIGNAL_ADDRESS_CAPACITY', 1013);
    const elsewhere = await Client.peer(port, { localAddress: '127.0.0.3' });
    // The same id reconnecting replaces its own socket: not one more connection of that address.
    const again = await Client.peer(port, { localAddress: '127.0.0.2', id: held[0]!.id, token: held[0]!.token });
    expect(await held[0]!.closed).toEqual({ code: 1000, reason: 'SIGNAL_REPLACED' });
    expect(app.swarmcdn.connections.signalling).toBe(4);
    held[1]!.ws.close();
    await held[1]!.closed;
    await sleep(50);
    await Client.peer(port, { localAddress: '127.0.0.2' });
    // The refused socket never reached the tracker: sessions are capped with the sockets.
    elsewhere.send({ type: 'join', site: 'https://a.example' });
    again.send({ type: 'join', site: 'https://a.example' });
    await Promise.all([elsewhere.until(() => elsewhere.count('joined') === 1), again.until(() => again.count('joined') === 1)]);
    expect(app.swarmcdn.connections.tracker).toBe(2);
  });

  it('caps the unclaimed ids of one address (429, SIGNAL_ADDRESS_IDS); claiming one frees its place', async () => {
    const { port } = await start({ maxUnclaimedIdsPerAddress: 3 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await issuedId(port, '127.0.0.4'));
    const refused = await getId(port, '127.0.0.4');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'SIGNAL_ADDRESS_IDS' });
    expect(refused.retryAfter).toBe('60');
    await issuedId(port, '127.0.0.5');
    // A page claims its id by connecting with it: no longer pending.
    await Client.peer(port, { localAddress: '127.0.0.4', id: ids[0]! });
    await issuedId(port, '127.0.0.4');
    expect((await getId(port, '127.0.0.4')).status).toBe(429);
  });

  it('admits a NAT full of pages from one address with the default caps', async () => {
    const { app, port } = await start();
    const pages = 150;
    const ids = await Promise.all(Array.from({ length: pages }, () => issuedId(port, '127.0.0.6')));
    await Promise.all(ids.map((id) => Client.peer(port, { localAddress: '127.0.0.6', id })));
    expect(app.swarmcdn.connections.signalling).toBe(pages);
  });
});
