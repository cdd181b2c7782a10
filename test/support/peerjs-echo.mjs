/**
 * The stock `peerjs` client in Node (node-datachannel's RTC polyfill): two peers open on the
 * signalling server given as `<port> <path>`, A connects to B, sends four bytes, and B echoes them
 * inverted. Prints one JSON line — { ids, echoed } or { error } — and exits. It runs as a child
 * process of the test: node-datachannel's native threads, whose teardown can time out on a loaded
 * box, then end with this process instead of holding the test runner open.
 */
import { WebSocket } from 'ws';

const [port, path] = [Number(process.argv[2]), process.argv[3]];

function within(ms, what, promise) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

const opened = (peer) =>
  new Promise((resolve, reject) => {
    peer.on('open', resolve);
    peer.on('error', reject);
  });

async function main() {
  // The stock client expects a browser: WebSocket, RTC classes and `location` on the global object.
  const polyfill = await import('node-datachannel/polyfill');
  globalThis.WebSocket = WebSocket;
  globalThis.location ??= { protocol: 'http:' };
  for (const name of ['RTCPeerConnection', 'RTCSessionDescription', 'RTCIceCandidate', 'RTCDataChannel']) globalThis[name] = polyfill[name];
  const peerjs = await import('peerjs');
  const Peer = peerjs.Peer ?? peerjs.default?.Peer;
  const options = { host: '127.0.0.1', port, path, debug: 0, config: { iceServers: [], bindAddress: '127.0.0.1' } };
  const a = new Peer(options);
  const b = new Peer(options);
  const ids = await within(10_000, 'both peers open', Promise.all([opened(a), opened(b)]));
  b.on('connection', (conn) => {
    conn.on('data', (data) => conn.send(Uint8Array.from(new Uint8Array(data), (x) => 255 - x)));
  });
  // node-datachannel's ICE/DTLS set-up on loopback fails now and then (about one in six runs here)
  // after every signalling frame has been relayed both ways — seen by logging the frames. That
  // flake is below the server, so a failed attempt is retried on a fresh connection; a server that
  // relays wrongly fails every attempt.
  let echoed;
  for (let attempt = 1; attempt <= 3 && !echoed; attempt++) {
    const conn = a.connect(ids[1], { serialization: 'raw', reliable: true });
    const reply = new Promise((resolve, reject) => {
      conn.on('open', () => conn.send(new Uint8Array([1, 2, 3, 250])));
      conn.on('data', (data) => resolve(new Uint8Array(data)));
      conn.on('error', reject);
    });
    echoed = await within(5_000, 'data exchanged', reply).catch(() => undefined);
  }
  return { ids, echoed: echoed ? Array.from(echoed) : null };
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error) => {
    process.stdout.write(`${JSON.stringify({ error: [error?.type, error?.message].filter(Boolean).join(': ') || String(error) })}\n`);
    process.exit(1);
  },
);
