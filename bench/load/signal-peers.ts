/**
 * The load generator of `npm run bench:signal`: simulated PeerJS peers as plain WebSocket clients,
 * driven over IPC by bench/signal.ts. Each peer does what the stock peerjs 1.5.5 client does —
 * `GET {path}{key}/id`, then the WebSocket `{path}peerjs?key=…&id=…&token=…&version=1.5.5`, waits
 * for OPEN and sends HEARTBEAT every 5 s — so both servers see the same traffic a browser makes.
 *
 * One process holds at most a few thousand sockets (this machine caps a process at 20,000 open
 * files) and spreads them over the loopback source addresses it is given. Every operation is
 * bounded in count and in time; the process exits when its parent goes away.
 */
import { Agent, get } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';

/** A signalling endpoint, addressed the way the stock client builds its URLs. */
export interface Target {
  readonly port: number;
  /** The client's `path` with its trailing slash, e.g. `/swarmcdn/peerjs/`. */
  readonly path: string;
  readonly key: string;
}

/** What bench/signal.ts asks for; peers live in named groups, pairs are (2k, 2k+1) in a group. */
export type GeneratorCommand =
  | { op: 'open'; group: string; target: Target; count: number; addresses: readonly string[]; concurrency: number; maxMs: number }
  | { op: 'held'; group: string }
  | { op: 'close'; group: string; maxMs: number }
  | { op: 'flood'; group: string; messages: number; window: number; maxMs: number }
  | { op: 'rate'; group: string; perSecond: number; warmupMs: number; durationMs: number; drainMs: number }
  | { op: 'frame'; group: string; text: string; waitMs: number };

/** Counts of things that went wrong, by a short reason. */
export type Reasons = Record<string, number>;

/** The answer to each command. */
export interface GeneratorResults {
  open: { opened: number; failed: number; reasons: Reasons; ms: number };
  held: { held: number; droppedAfterOpen: Reasons; unexpected: Reasons };
  close: { closed: number; terminated: number; ms: number };
  flood: { pairs: number; sent: number; delivered: number; unexpected: Reasons; ms: number };
  /** latenciesMs: one per message sent after the warm-up and received in time. */
  /** loopLag…: how late this process's own 1 ms timer ran during the run (p99, max). */
  rate: { pairs: number; sent: number; received: number; latenciesMs: number[]; loopLagP99Ms: number; loopLagMaxMs: number; unexpected: Reasons; ms: number };
  /** replies: each message's type, and its payload.code where it has one. */
  frame: { replies: string[]; closeCode: number | null };
}

/** An IPC request: a command and the number its reply carries. */
export type GeneratorRequest = GeneratorCommand & { readonly req: number };

/** An IPC reply. */
export type GeneratorReply = { req: number; ok: true; result: unknown } | { req: number; ok: false; error: string };

/** The version string the stock client sends (node_modules/peerjs, 1.5.5). */
const CLIENT_VERSION = '1.5.5';
/** The stock client's heartbeat period (`pingInterval`). */
const HEARTBEAT_MS = 5_000;
/** Heartbeats go out in this many slices per period, so they arrive evenly instead of in bursts. */
const HEARTBEAT_SLICES = 50;
const HEARTBEAT = JSON.stringify({ type: 'HEARTBEAT' });
/** One open attempt (id fetch + WebSocket + OPEN) gives up after this long. */
const OPEN_TIMEOUT_MS = 15_000;
/** The event-loop monitor's timer: the histogram records its intervals, so lag is interval − this. */
const LOOP_TIMER_MS = 1;

/**
 * A data-channel offer as Chromium writes it: ~500 bytes, the size the brief asks for. Only the
 * connectionId varies between messages (it carries the send time).
 */
const OFFER_SDP = [
  'v=0',
  'o=- 5157351394563702345 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:Xk3f',
  'a=ice-pwd:0bJ3vQq3fJkqkYB1JzQvMhS4',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 6A:1F:0C:93:5B:7E:2D:44:A8:9C:11:F0:3E:62:B7:D5:48:0A:CE:29:71:84:5F:E3:9B:06:D2:7C:13:AF:58:E1',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');

/** What went wrong with a group's peers after they opened. */
interface GroupStats {
  readonly droppedAfterOpen: Reasons;
  /** Messages an idle peer received (nothing should arrive but relays a workload asked for). */
  readonly unexpected: Reasons;
}

interface Group {
  readonly peers: Peer[];
  readonly stats: GroupStats;
}

interface Peer {
  readonly id: string;
  readonly ws: WebSocket;
  readonly stats: GroupStats;
  /** Set while a workload listens to what this peer receives. */
  onRelay: ((message: Record<string, unknown>) => void) | null;
  slot: number;
}

const groups = new Map<string, Group>();
const heartbeatSlots: Set<Peer>[] = Array.from({ length: HEARTBEAT_SLICES }, () => new Set<Peer>());
let nextSlot = 0;

function bump(reasons: Reasons, reason: string): void {
  reasons[reason] = (reasons[reason] ?? 0) + 1;
}

function groupOf(name: string): Group {
  let group = groups.get(name);
  if (group === undefined) groups.set(name, (group = { peers: [], stats: { droppedAfterOpen: {}, unexpected: {} } }));
  return group;
}

/** `GET {path}{key}/id` as the stock client sends it (cache-busting `ts`, `version`). */
function fetchId(target: Target, agent: Agent): Promise<string> {
  const url = `http://127.0.0.1:${target.port}${target.path}${target.key}/id?ts=${Date.now()}${Math.random()}&version=${CLIENT_VERSION}`;
  return new Promise((resolve, reject) => {
    const request = get(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`id: HTTP ${response.statusCode}`))));
      response.on('error', reject);
    });
    request.setTimeout(OPEN_TIMEOUT_MS, () => request.destroy(new Error('id: timeout')));
    request.on('error', reject);
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

/** One peer: fetch an id, open the socket from `address`, wait for OPEN. Rejects with a short reason. */
async function openPeer(target: Target, address: string, agent: Agent, stats: GroupStats): Promise<Peer> {
  const id = await fetchId(target, agent);
  // The stock client's token: Math.random().toString(36).slice(2) (peerjs util.randomToken).
  const token = Math.random().toString(36).slice(2);
  const url = `ws://127.0.0.1:${target.port}${target.path}peerjs?key=${target.key}&id=${id}&token=${token}&version=${CLIENT_VERSION}`;
  const ws = new WebSocket(url, { localAddress: address, handshakeTimeout: OPEN_TIMEOUT_MS });
  const peer: Peer = { id, ws, stats, onRelay: null, slot: -1 };
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === null) return resolve(peer);
      ws.terminate();
      reject(error);
    };
    const timer = setTimeout(() => settle(new Error('timeout waiting for OPEN')), OPEN_TIMEOUT_MS);
    ws.on('error', (error) => settle(new Error(describe(error))));
    ws.on('close', (code) => {
      if (!settled) return settle(new Error(`closed ${code} before OPEN`));
      if (peer.slot >= 0) {
        heartbeatSlots[peer.slot]!.delete(peer);
        peer.slot = -1;
        bump(stats.droppedAfterOpen, `close ${code}`);
      }
    });
    ws.on('message', (data: WebSocket.RawData) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        return settled ? bump(stats.unexpected, 'unparsable') : settle(new Error('unparsable first message'));
      }
      if (!settled) {
        if (message.type === 'OPEN') return settle(null);
        const payload = message.payload as { msg?: unknown } | undefined;
        return settle(new Error(`${String(message.type)}${payload?.msg ? `: ${String(payload.msg)}` : ''}`));
      }
      if (peer.onRelay !== null) peer.onRelay(message);
      else bump(stats.unexpected, String(message.type));
    });
  }).then(() => {
    peer.slot = nextSlot++ % HEARTBEAT_SLICES;
    heartbeatSlots[peer.slot]!.add(peer);
    return peer;
  });
}

async function open(command: Extract<GeneratorCommand, { op: 'open' }>): Promise<GeneratorResults['open']> {
  const started = performance.now();
  const deadline = started + command.maxMs;
  const group = groupOf(command.group);
  // A few keep-alive connections per source address for the id requests, as a browser would reuse.
  const agents = command.addresses.map((localAddress) => new Agent({ keepAlive: true, maxSockets: 2, localAddress }));
  const reasons: Reasons = {};
  let attempted = 0;
  let opened = 0;
  const worker = async (): Promise<void> => {
    while (attempted < command.count && performance.now() < deadline) {
      const n = attempted++;
      const slot = n % agents.length;
      try {
        group.peers.push(await openPeer(command.target, command.addresses[slot]!, agents[slot]!, group.stats));
        opened++;
      } catch (error) {
        bump(reasons, describe(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.count) }, worker));
  for (const agent of agents) agent.destroy();
  if (attempted < command.count) reasons['not attempted: time limit'] = command.count - attempted;
  return { opened, failed: command.count - opened, reasons, ms: performance.now() - started };
}

function held(name: string): GeneratorResults['held'] {
  const { peers, stats } = groupOf(name);
  const count = peers.filter((p) => p.ws.readyState === WebSocket.OPEN).length;
  return { held: count, droppedAfterOpen: { ...stats.droppedAfterOpen }, unexpected: { ...stats.unexpected } };
}

async function close(command: Extract<GeneratorCommand, { op: 'close' }>): Promise<GeneratorResults['close']> {
  const started = performance.now();
  const { peers } = groupOf(command.group);
  groups.delete(command.group);
  const waits = peers.map((peer) => {
    if (peer.slot >= 0) heartbeatSlots[peer.slot]!.delete(peer);
    peer.slot = -1;
    if (peer.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      peer.ws.once('close', () => resolve());
      peer.ws.close(1000);
    });
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(waits), new Promise((resolve) => (timer = setTimeout(resolve, command.maxMs)))]);
  clearTimeout(timer);
  let terminated = 0;
  for (const peer of peers) {
    if (peer.ws.readyState !== WebSocket.CLOSED) {
      peer.ws.terminate();
      terminated++;
    }
  }
  return { closed: peers.length - terminated, terminated, ms: performance.now() - started };
}

/** Sender → receiver pairs of a group whose both sockets are open. */
interface Pair {
  readonly from: Peer;
  readonly to: Peer;
  /** The frame up to the connectionId's value; the send time closes it. */
  readonly head: string;
  inFlight: number;
}

function pairsOf(group: string): Pair[] {
  const { peers } = groupOf(group);
  const pairs: Pair[] = [];
  for (let i = 0; i + 1 < peers.length; i += 2) {
    const from = peers[i]!;
    const to = peers[i + 1]!;
    if (from.ws.readyState !== WebSocket.OPEN || to.ws.readyState !== WebSocket.OPEN) continue;
    const kind = pairs.length % 2 === 0 ? 'data' : 'media';
    const head = `{"type":"OFFER","dst":${JSON.stringify(to.id)},"payload":{"sdp":{"type":"offer","sdp":${JSON.stringify(OFFER_SDP)}},"type":"${kind}","connectionId":"dc_`;
    pairs.push({ from, to, head, inFlight: 0 });
  }
  if (pairs.length === 0) throw new Error(`group ${group} has no open pairs`);
  return pairs;
}

/** The connectionId carries the send time in µs, base 36, so it stays a plain token like the client's. */
function send(pair: Pair, now: number): void {
  pair.from.ws.send(`${pair.head}${Math.round(now * 1000).toString(36)}"}}`);
}

/** The send time (performance.now() ms) from a relayed OFFER, or a reason it is not ours. */
function sentAt(pair: Pair, message: Record<string, unknown>): number | string {
  if (message.type !== 'OFFER') return String(message.type);
  if (message.src !== pair.from.id) return 'OFFER with wrong src';
  const id = (message.payload as { connectionId?: unknown } | undefined)?.connectionId;
  if (typeof id !== 'string' || !id.startsWith('dc_')) return 'OFFER without connectionId';
  return parseInt(id.slice(3), 36) / 1000;
}

function detach(pairs: readonly Pair[]): void {
  for (const pair of pairs) {
    pair.to.onRelay = null;
    pair.from.onRelay = null;
    pair.inFlight = 0;
  }
}

/** Flat out: each pair keeps `window` offers in flight; stops at `messages` sent or `maxMs`. */
function flood(command: Extract<GeneratorCommand, { op: 'flood' }>): Promise<GeneratorResults['flood']> {
  const pairs = pairsOf(command.group);
  const unexpected: Reasons = {};
  const started = performance.now();
  let budget = command.messages;
  let sent = 0;
  let delivered = 0;
  let done = false;
  return new Promise((resolve) => {
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(stopTimer);
      clearTimeout(drainTimer);
      detach(pairs);
      resolve({ pairs: pairs.length, sent, delivered, unexpected, ms: performance.now() - started });
    };
    const top = (pair: Pair): void => {
      while (pair.inFlight < command.window && sent < budget) {
        pair.inFlight++;
        sent++;
        send(pair, performance.now());
      }
    };
    for (const pair of pairs) {
      pair.from.onRelay = (message) => bump(unexpected, `to sender: ${String(message.type)}`);
      pair.to.onRelay = (message) => {
        const at = sentAt(pair, message);
        if (typeof at === 'string') return bump(unexpected, at);
        delivered++;
        pair.inFlight--;
        top(pair);
        if (delivered === budget) finish();
      };
    }
    // At the time limit stop sending and give what is in flight a moment to land.
    let drainTimer: NodeJS.Timeout | undefined;
    const stopTimer = setTimeout(() => {
      budget = sent;
      if (delivered >= budget) return finish();
      drainTimer = setTimeout(finish, 2_000);
    }, command.maxMs);
    for (const pair of pairs) top(pair);
  });
}

/** A fixed offered rate, round robin over the pairs, open loop; latency measured on receipt. */
function rate(command: Extract<GeneratorCommand, { op: 'rate' }>): Promise<GeneratorResults['rate']> {
  const pairs = pairsOf(command.group);
  const unexpected: Reasons = {};
  const latenciesMs: number[] = [];
  const total = Math.floor((command.perSecond * (command.warmupMs + command.durationMs)) / 1000);
  const started = performance.now();
  const measureFrom = started + command.warmupMs;
  let sent = 0;
  let received = 0;
  let done = false;
  // This process's own event-loop stalls: a latency tail they match is the generator's, not the server's.
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
  loopDelay.enable();
  return new Promise((resolve) => {
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      clearTimeout(drainTimer);
      loopDelay.disable();
      detach(pairs);
      const lag = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_TIMER_MS);
      const loopLagP99Ms = lag(loopDelay.percentile(99));
      const loopLagMaxMs = lag(loopDelay.max);
      resolve({ pairs: pairs.length, sent, received, latenciesMs, loopLagP99Ms, loopLagMaxMs, unexpected, ms: performance.now() - started });
    };
    for (const pair of pairs) {
      pair.from.onRelay = (message) => bump(unexpected, `to sender: ${String(message.type)}`);
      pair.to.onRelay = (message) => {
        const now = performance.now();
        const at = sentAt(pair, message);
        if (typeof at === 'string') return bump(unexpected, at);
        received++;
        if (at >= measureFrom) latenciesMs.push(now - at);
        if (sent === total && received === total) finish();
      };
    }
    // A 1 ms ticker sends whatever is due, so the rate holds even when a tick comes late.
    const ticker = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * command.perSecond) / 1000));
      while (sent < due) send(pairs[sent++ % pairs.length]!, performance.now());
      if (sent === total) {
        clearInterval(ticker);
        drainTimer = setTimeout(finish, command.drainMs);
      }
    }, 1);
  });
}

/** Sends one raw frame from the group's first open peer; reports what came back. */
function frame(command: Extract<GeneratorCommand, { op: 'frame' }>): Promise<GeneratorResults['frame']> {
  const peer = groupOf(command.group).peers.find((p) => p.ws.readyState === WebSocket.OPEN);
  if (peer === undefined) throw new Error(`group ${command.group} has no open peer`);
  const replies: string[] = [];
  let closeCode: number | null = null;
  peer.onRelay = (message) => {
    const code = (message.payload as { code?: unknown } | undefined)?.code;
    if (replies.length < 5) replies.push(typeof code === 'string' ? `${String(message.type)} ${code}` : String(message.type));
  };
  peer.ws.once('close', (code) => (closeCode = code));
  peer.ws.send(command.text);
  return new Promise((resolve) => setTimeout(() => resolve({ replies, closeCode }), command.waitMs));
}

async function run(command: GeneratorCommand): Promise<unknown> {
  switch (command.op) {
    case 'open':
      return open(command);
    case 'held':
      return held(command.group);
    case 'close':
      return close(command);
    case 'flood':
      return flood(command);
    case 'rate':
      return rate(command);
    case 'frame':
      return frame(command);
  }
}

function reply(message: GeneratorReply): void {
  process.send?.(message);
}

if (process.send === undefined) {
  process.stderr.write('signal-peers: run me from bench/signal.ts (needs an IPC channel)\n');
  process.exit(2);
}
let tick = 0;
setInterval(() => {
  for (const peer of heartbeatSlots[tick++ % HEARTBEAT_SLICES]!) peer.ws.send(HEARTBEAT);
}, HEARTBEAT_MS / HEARTBEAT_SLICES);
process.on('message', (request: GeneratorRequest) => {
  run(request).then(
    (result) => reply({ req: request.req, ok: true, result }),
    (error: unknown) => reply({ req: request.req, ok: false, error: describe(error) }),
  );
});
// The orchestrator owns this process: when it goes, so do we (and every socket with us).
process.on('disconnect', () => process.exit(0));
