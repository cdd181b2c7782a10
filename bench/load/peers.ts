/**
 * The load generator's simulated peers: each does what the stock peerjs 1.5.5 client does —
 * `GET {path}{key}/id`, then the WebSocket `{path}peerjs?key=…&id=…&token=…&version=1.5.5`, waits
 * for OPEN and sends HEARTBEAT every 5 s — so both servers see the traffic a browser makes. Peers
 * live in named groups; a workload listens to what a peer receives through onRelay (parsed) or
 * onRaw (the bytes, for a workload that must not spend the generator's time parsing).
 */
import { Agent, get } from 'node:http';
import WebSocket from 'ws';
import type { GeneratorCommand, GeneratorResults, Reasons, Target } from './protocol.js';

/** The version string the stock client sends (node_modules/peerjs, 1.5.5). */
const CLIENT_VERSION = '1.5.5';
/** The stock client's heartbeat period (`pingInterval`). */
const HEARTBEAT_MS = 5_000;
/** Heartbeats go out in this many slices per period, so they arrive evenly instead of in bursts. */
const HEARTBEAT_SLICES = 50;
const HEARTBEAT = JSON.stringify({ type: 'HEARTBEAT' });
/** One open attempt (id fetch + WebSocket + OPEN) gives up after this long. */
const OPEN_TIMEOUT_MS = 15_000;

/** What went wrong with a group's peers after they opened. */
interface GroupStats {
  readonly droppedAfterOpen: Reasons;
  /** Messages an idle peer received (nothing should arrive but relays a workload asked for). */
  readonly unexpected: Reasons;
}

/** A named set of peers, in the order they opened. */
export interface Group {
  readonly peers: Peer[];
  readonly stats: GroupStats;
}

/** One simulated client. */
export interface Peer {
  readonly id: string;
  readonly ws: WebSocket;
  readonly stats: GroupStats;
  /** Set while a workload listens to what this peer receives. */
  onRelay: ((message: Record<string, unknown>) => void) | null;
  /** Set instead of onRelay by a workload that reads the bytes itself. */
  onRaw: ((data: Buffer) => void) | null;
  /** Its heartbeat slice, or -1 once it no longer beats. */
  slot: number;
}

const groups = new Map<string, Group>();
const heartbeatSlots: Set<Peer>[] = Array.from({ length: HEARTBEAT_SLICES }, () => new Set<Peer>());
let nextSlot = 0;

/** Counts one more `reason`. */
export function bump(reasons: Reasons, reason: string): void {
  reasons[reason] = (reasons[reason] ?? 0) + 1;
}

/** A short reason for an error: its code where it has one. */
export function describe(error: unknown): string {
  if (error instanceof Error) return (error as NodeJS.ErrnoException).code ?? error.message;
  return String(error);
}

/** The group called `name`, created empty on first use. */
export function groupOf(name: string): Group {
  let group = groups.get(name);
  if (group === undefined) groups.set(name, (group = { peers: [], stats: { droppedAfterOpen: {}, unexpected: {} } }));
  return group;
}

let tick = 0;
/** Sends one slice of the heartbeats; called every HEARTBEAT_MS / HEARTBEAT_SLICES. */
function beat(): void {
  for (const peer of heartbeatSlots[tick++ % HEARTBEAT_SLICES]!) peer.ws.send(HEARTBEAT);
}

/** Starts the heartbeat timer for every peer this process opens. */
export function startHeartbeats(): void {
  setInterval(beat, HEARTBEAT_MS / HEARTBEAT_SLICES);
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

/** One peer: fetch an id, open the socket from `address`, wait for OPEN. Rejects with a short reason. */
async function openPeer(target: Target, address: string, agent: Agent, stats: GroupStats): Promise<Peer> {
  const id = await fetchId(target, agent);
  // The stock client's token: Math.random().toString(36).slice(2) (peerjs util.randomToken).
  const token = Math.random().toString(36).slice(2);
  const url = `ws://127.0.0.1:${target.port}${target.path}peerjs?key=${target.key}&id=${id}&token=${token}&version=${CLIENT_VERSION}`;
  const ws = new WebSocket(url, { localAddress: address, handshakeTimeout: OPEN_TIMEOUT_MS });
  const peer: Peer = { id, ws, stats, onRelay: null, onRaw: null, slot: -1 };
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === null) return resolve();
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
      if (peer.onRaw !== null && Buffer.isBuffer(data)) return peer.onRaw(data);
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
  });
  peer.slot = nextSlot++ % HEARTBEAT_SLICES;
  heartbeatSlots[peer.slot]!.add(peer);
  return peer;
}

/** Opens `count` peers into a group, `concurrency` at a time, until done or `maxMs`. */
export async function open(command: Extract<GeneratorCommand, { op: 'open' }>): Promise<GeneratorResults['open']> {
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

/** How many of a group's peers are still open, and what went wrong after they opened. */
export function held(name: string): GeneratorResults['held'] {
  const { peers, stats } = groupOf(name);
  const count = peers.filter((p) => p.ws.readyState === WebSocket.OPEN).length;
  return { held: count, droppedAfterOpen: { ...stats.droppedAfterOpen }, unexpected: { ...stats.unexpected } };
}

/** Closes a group's peers (1000), terminating those still open after `maxMs`, and forgets the group. */
export async function close(command: Extract<GeneratorCommand, { op: 'close' }>): Promise<GeneratorResults['close']> {
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
