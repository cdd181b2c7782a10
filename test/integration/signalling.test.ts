/**
 * The PeerJS-compatible signalling plugin against real sockets on 127.0.0.1: plain `ws` clients
 * speaking the stock client's protocol, and at the end two stock `peerjs` clients (node-datachannel
 * for WebRTC) that open a data channel through the server and exchange bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { createContext } from '../../server/context.js';
import { resolveOptions, type SignallingOptions } from '../../server/options.js';
import { signallingPlugin } from '../../server/plugins/signalling.js';
import { MemorySignallingStore } from '../../server/store/memory-signalling-store.js';
import type { SwarmStore } from '../../server/store/store.js';

const PATH = '/swarmcdn/peerjs';
const execFileAsync = promisify(execFile);

interface Server {
  readonly app: FastifyInstance;
  readonly http: string;
  readonly ws: string;
}

const servers: Server[] = [];

async function startServer(signalling: Partial<SignallingOptions> = {}, perMessageDeflate = false): Promise<Server> {
  const app = Fastify();
  await app.register(fastifyWebsocket, { options: { maxPayload: 1024 * 1024, perMessageDeflate } });
  // The tracker half of the store is not used by this plugin.
  const store: SwarmStore = { tracker: {} as never, signalling: new MemorySignallingStore() };
  app.decorate('swarmcdn', createContext(resolveOptions({ siteDir: '/tmp', signalling }), store));
  await app.register(signallingPlugin);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const server = { app, http: `http://127.0.0.1:${port}${PATH}`, ws: `ws://127.0.0.1:${port}${PATH}` };
  servers.push(server);
  return server;
}

afterAll(async () => {
  await Promise.all(servers.map((s) => s.app.close()));
});

/** A message the server sent, parsed. */
interface Frame {
  type: string;
  src?: string;
  dst?: string;
  payload?: { msg?: string; code?: string; connectionId?: string; [k: string]: unknown };
}

/** A ws client that records what it receives and how it was closed. */
class Client {
  readonly inbox: Frame[] = [];
  /** Binary frames received: a browser would hand them to the stock client as Blobs, which it cannot read. */
  binaryFrames = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  #wake: (() => void) | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly id: string,
    readonly token: string,
  ) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.binaryFrames++;
      this.inbox.push(JSON.parse(String(data)) as Frame);
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  /** The next frame, within `ms`. */
  async next(ms = 2_000): Promise<Frame> {
    const deadline = Date.now() + ms;
    while (this.inbox.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.id}: no frame within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return this.inbox.shift()!;
  }

  /** Asserts that nothing arrives for `ms`. */
  async nothingFor(ms = 150): Promise<void> {
    await sleep(ms);
    expect(this.inbox).toEqual([]);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function issueId(server: Server): Promise<string> {
  const res = await fetch(`${server.http}/peerjs/id?ts=${Date.now()}${Math.random()}&version=1.5.5`);
  expect(res.status).toBe(200);
  return res.text();
}

let tokens = 0;
/** Connects with (id, token) as the stock client does; waits for the socket to open, not for OPEN. */
async function connect(server: Server, id: string, token = `tok${++tokens}x`, key = 'peerjs'): Promise<Client> {
  const ws = new WebSocket(`${server.ws}/peerjs?key=${key}&id=${encodeURIComponent(id)}&token=${token}&version=1.5.5`);
  const client = new Client(ws, id, token);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return client;
}

/** A new peer: id from the server, connected, OPEN received. */
async function peer(server: Server): Promise<Client> {
  const client = await connect(server, await issueId(server));
  expect(await client.next()).toEqual({ type: 'OPEN' });
  return client;
}

/** Expects an ERROR (or ID-TAKEN) frame with `code`, then a close with `closeCode` and the code as reason. */
async function expectRefusal(client: Client, code: string, closeCode: number, type = 'ERROR'): Promise<void> {
  const frame = await client.next();
  expect(frame.type).toBe(type);
  expect(frame.payload?.code).toBe(code);
  expect(typeof frame.payload?.msg).toBe('string');
  expect(await client.closed).toEqual({ code: closeCode, reason: code });
}

const offer = (dst: string, connectionId = 'dc_1'): Frame => ({
  type: 'OFFER',
  dst,
  payload: { sdp: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' }, type: 'data', connectionId, serialization: 'raw' },
});

describe('signalling over HTTP', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer();
  });

  it('issues fresh ids as text, refuses a wrong key, never lists peers, and describes itself', async () => {
    const res = await fetch(`${server.http}/peerjs/id?ts=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const id = await res.text();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await issueId(server)).not.toBe(id);

    const wrongKey = await fetch(`${server.http}/other/id`);
    expect(wrongKey.status).toBe(404);
    expect(((await wrongKey.json()) as { code: string }).code).toBe('SIGNAL_KEY_INVALID');

    const peers = await fetch(`${server.http}/peerjs/peers`);
    expect(peers.status).toBe(401);
    expect(((await peers.json()) as { code: string }).code).toBe('SIGNAL_PEERS_HIDDEN');

    const root = await fetch(server.http);
    expect(((await root.json()) as { name: string }).name).toBe('PeerJS Server');
  });
});

describe('signalling relay', () => {
  let server: Server;
  beforeAll(async () => {
    server = await startServer({ maxMessageBytes: 4096, queuePerPeer: 3 });
  });
  const gauge = (): number => server.app.swarmcdn.connections.signalling;

  it('relays OFFER, ANSWER, CANDIDATE and LEAVE with src set by the server', async () => {
    const before = gauge();
    const a = await peer(server);
    const b = await peer(server);
    expect(gauge()).toBe(before + 2);

    a.send({ ...offer(b.id), src: 'forged-src' });
    const relayed = await b.next();
    expect(relayed).toEqual({ ...offer(b.id), src: a.id });

    const answer = { type: 'ANSWER', dst: a.id, payload: { sdp: { type: 'answer', sdp: 'v=0\r\n' }, type: 'data', connectionId: 'dc_1' } };
    b.send(answer);
    expect(await a.next()).toEqual({ ...answer, src: b.id });

    const candidate = { type: 'CANDIDATE', dst: b.id, payload: { candidate: { candidate: 'candidate:1 1 UDP 1 127.0.0.1 9 typ host' }, type: 'data', connectionId: 'dc_1' } };
    a.send(candidate);
    expect(await b.next()).toEqual({ ...candidate, src: a.id });

    // HEARTBEAT only refreshes liveness: nobody hears of it.
    a.send({ type: 'HEARTBEAT' });
    a.send({ type: 'LEAVE', dst: b.id });
    expect(await b.next()).toEqual({ type: 'LEAVE', dst: b.id, src: a.id });
    await a.nothingFor(100);

    await Promise.all([a.close(), b.close()]);
    await sleep(50);
    expect(gauge()).toBe(before);
  });

  it('queues for a peer that connects later and delivers after OPEN, in order', async () => {
    const a = await peer(server);
    const laterId = await issueId(server);
    a.send(offer(laterId, 'dc_first'));
    a.send({ type: 'CANDIDATE', dst: laterId, payload: { connectionId: 'dc_first' } });
    // LEAVE to an absent peer is dropped, not queued.
    a.send({ type: 'LEAVE', dst: laterId });
    await sleep(50);
    const later = await connect(server, laterId);
    expect(await later.next()).toEqual({ type: 'OPEN' });
    expect(await later.next()).toMatchObject({ type: 'OFFER', src: a.id, payload: { connectionId: 'dc_first' } });
    expect(await later.next()).toMatchObject({ type: 'CANDIDATE', src: a.id });
    await later.nothingFor(100);
    await Promise.all([a.close(), later.close()]);
  });

  it('tells the sender EXPIRE once per destination when a queued message times out', async () => {
    const server = await startServer({ expireTimeoutMs: 200 });
    const a = await peer(server);
    const absent = await issueId(server);
    a.send(offer(absent, 'dc_1'));
    a.send(offer(absent, 'dc_2'));
    const t0 = Date.now();
    expect(await a.next()).toEqual({ type: 'EXPIRE', src: absent, dst: a.id });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    await a.nothingFor(300);
    // The queue was dropped: connecting now delivers nothing.
    const late = await connect(server, absent);
    expect(await late.next()).toEqual({ type: 'OPEN' });
    await late.nothingFor(100);
    await Promise.all([a.close(), late.close()]);
  });

  it('bounds the queue per destination and says EXPIRE at once for what does not fit', async () => {
    const a = await peer(server);
    const absent = await issueId(server);
    for (let i = 0; i < 4; i++) a.send(offer(absent, `dc_${i}`)); // queuePerPeer is 3
    // Long before the 5 s expire timeout: the fourth did not fit.
    expect(await a.next(1_000)).toEqual({ type: 'EXPIRE', src: absent, dst: a.id });
    const late = await connect(server, absent);
    expect(await late.next()).toEqual({ type: 'OPEN' });
    const got = [await late.next(), await late.next(), await late.next()].map((f) => f.payload?.connectionId);
    expect(got).toEqual(['dc_0', 'dc_1', 'dc_2']);
    await late.nothingFor(100);
    await Promise.all([a.close(), late.close()]);
  });

  it('refuses a takeover of a live id (ID-TAKEN); the owner is unaffected; the owner may reconnect', async () => {
    const owner = await peer(server);
    const other = await peer(server);
    const thief = await connect(server, owner.id, 'stolenToken');
    await expectRefusal(thief, 'SIGNAL_ID_TAKEN', 1008, 'ID-TAKEN');

    other.send(offer(owner.id));
    expect(await owner.next()).toMatchObject({ type: 'OFFER', src: other.id });

    // The same id and token again replaces the old socket.
    const again = await connect(server, owner.id, owner.token);
    expect(await again.next()).toEqual({ type: 'OPEN' });
    expect(await owner.closed).toEqual({ code: 1000, reason: 'SIGNAL_REPLACED' });
    other.send(offer(owner.id, 'dc_2'));
    expect(await again.next()).toMatchObject({ type: 'OFFER', src: other.id, payload: { connectionId: 'dc_2' } });

    // Closed, the id stays bound to its token for the reconnect grace: still ID-TAKEN for others.
    await again.close();
    await sleep(50);
    await expectRefusal(await connect(server, owner.id, 'stolenToken'), 'SIGNAL_ID_TAKEN', 1008, 'ID-TAKEN');
    await other.close();
  });

  it('refuses an id it never issued, a wrong key and missing parameters', async () => {
    await expectRefusal(await connect(server, 'made-up-id'), 'SIGNAL_ID_UNKNOWN', 1008);
    await expectRefusal(await connect(server, await issueId(server), 'tok', 'otherkey'), 'SIGNAL_KEY_INVALID', 1008);
    await expectRefusal(await connect(server, await issueId(server), 'bad"token'), 'SIGNAL_PARAMS_INVALID', 1008);
    const ws = new WebSocket(`${server.ws}/peerjs?key=peerjs`);
    await expectRefusal(new Client(ws, 'none', 'none'), 'SIGNAL_PARAMS_INVALID', 1008);
  });

  it('closes the sender of an oversized frame with 1009; others relay on', async () => {
    const a = await peer(server);
    const b = await peer(server);
    const big = await peer(server);
    big.send({ ...offer(b.id), payload: { pad: 'x'.repeat(5000) } });
    await expectRefusal(big, 'SIGNAL_FRAME_TOO_LARGE', 1009);
    await b.nothingFor(50);
    a.send(offer(b.id));
    expect(await b.next()).toMatchObject({ type: 'OFFER', src: a.id });
    await Promise.all([a.close(), b.close()]);
  });

  it.each([
    ['non-JSON text', 'not json'],
    ['binary garbage', Buffer.from([0xff, 0x00, 0x81, 0x7b, 0x22])],
    ['a JSON array', '[1,2,3]'],
    ['an unknown type', '{"type":"HELLO","dst":"x"}'],
    ['a numeric dst', '{"type":"OFFER","dst":42,"payload":{}}'],
    ['a missing dst', '{"type":"CANDIDATE","payload":{}}'],
    ['an OFFER without payload', '{"type":"OFFER","dst":"abc"}'],
    ['a server-only type', '{"type":"OPEN"}'],
  ])('closes the sender of %s with SIGNAL_MALFORMED; others relay on', async (_, frame) => {
    const a = await peer(server);
    const b = await peer(server);
    const bad = await peer(server);
    bad.send(frame);
    await expectRefusal(bad, 'SIGNAL_MALFORMED', 1008);
    a.send(offer(b.id));
    expect(await b.next()).toMatchObject({ type: 'OFFER', src: a.id });
    await Promise.all([a.close(), b.close()]);
  });

  it('relays a burst as text frames, in order, whichever reader took each frame', async () => {
    const a = await peer(server);
    const b = await peer(server);
    // Plain frames take the in-place scan; an escaped key, a src of the sender's own and an
    // escaped dst go to the full parser. All arrive, in order, with the server's src.
    const frames: string[] = [];
    for (let i = 0; i < 40; i++) {
      const plain = JSON.stringify(offer(b.id, `dc_${i}`));
      if (i % 4 === 0) frames.push(plain);
      else if (i % 4 === 1) frames.push(plain.replace('"type"', '"typ\\u0065"'));
      else if (i % 4 === 2) frames.push(plain.replace('{', '{"src":"forged",'));
      else frames.push(plain.replace(`"${b.id}"`, `"${b.id.replace(/-/g, '\\u002d')}"`));
    }
    for (const frame of frames) a.send(frame);
    for (let i = 0; i < 40; i++) expect(await b.next()).toEqual({ ...offer(b.id, `dc_${i}`), src: a.id });
    expect(b.binaryFrames).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('relays through ws itself when sockets may negotiate permessage-deflate', async () => {
    const deflating = await startServer({}, true);
    const a = await peer(deflating);
    const b = await peer(deflating);
    expect(a.ws.extensions).toContain('permessage-deflate');
    for (let i = 0; i < 5; i++) a.send(offer(b.id, `dc_${i}`));
    for (let i = 0; i < 5; i++) expect(await b.next()).toEqual({ ...offer(b.id, `dc_${i}`), src: a.id });
    expect(b.binaryFrames).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('relays a binary frame that holds a valid message, rebuilt as text', async () => {
    const a = await peer(server);
    const b = await peer(server);
    a.send(Buffer.from(JSON.stringify({ ...offer(b.id), src: 'forged' })));
    expect(await b.next()).toEqual({ ...offer(b.id), src: a.id });
    await Promise.all([a.close(), b.close()]);
  });
});

describe('signalling limits', () => {
  it('closes a client over its message rate (1008); others are unaffected', async () => {
    const server = await startServer({ ratePerSecond: 5, rateBurst: 10 });
    const a = await peer(server);
    const b = await peer(server);
    const flood = await peer(server);
    for (let i = 0; i < 20; i++) flood.send({ type: 'HEARTBEAT' });
    await expectRefusal(flood, 'SIGNAL_RATE_LIMITED', 1008);
    a.send(offer(b.id));
    expect(await b.next()).toMatchObject({ type: 'OFFER', src: a.id });
  });

  it('closes silent clients after aliveTimeoutMs; a client that beats stays', async () => {
    const server = await startServer({ aliveTimeoutMs: 300 });
    const silent = await peer(server);
    const beating = await peer(server);
    const beat = setInterval(() => beating.send({ type: 'HEARTBEAT' }), 80);
    try {
      const t0 = Date.now();
      expect(await silent.closed).toEqual({ code: 1000, reason: 'SIGNAL_TIMEOUT' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      await sleep(400);
      expect(beating.ws.readyState).toBe(WebSocket.OPEN);
      expect(server.app.swarmcdn.connections.signalling).toBe(1);
    } finally {
      clearInterval(beat);
    }
  });

  it('caps connections at maxConnections (1013), and admits again once one leaves', async () => {
    const server = await startServer({ maxConnections: 3 });
    const held = [await peer(server), await peer(server), await peer(server)];
    expect(server.app.swarmcdn.connections.signalling).toBe(3);
    await expectRefusal(await connect(server, await issueId(server)), 'SIGNAL_CAPACITY', 1013);
    // The same id reconnecting is not a new connection: it replaces its own socket.
    const again = await connect(server, held[0]!.id, held[0]!.token);
    expect(await again.next()).toEqual({ type: 'OPEN' });
    await held[1]!.close();
    await sleep(50);
    expect(server.app.swarmcdn.connections.signalling).toBe(2);
    await peer(server);
    expect(server.app.swarmcdn.connections.signalling).toBe(3);
  });
});

describe('stock peerjs clients', () => {
  it('open a data connection through this server and exchange bytes', async () => {
    const server = await startServer();
    const { port } = server.app.server.address() as AddressInfo;
    // In a child process (test/support/peerjs-echo.mjs): node-datachannel's native threads end with it.
    const { stdout } = await execFileAsync(process.execPath, [fileURLToPath(new URL('../support/peerjs-echo.mjs', import.meta.url)), String(port), PATH], { timeout: 40_000 }).catch(
      (error: { stdout?: string; message: string }) => ({ stdout: error.stdout || JSON.stringify({ error: error.message }) }),
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { ids?: [string, string]; echoed?: number[] | null; error?: string };
    expect(result.error).toBeUndefined();
    expect(result.ids![0]).not.toBe(result.ids![1]);
    expect(result.echoed).toEqual([254, 253, 252, 5]);
  });
});

