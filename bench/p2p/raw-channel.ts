/**
 * The baseline: a plain RTCDataChannel between A's and B's pages (ordered and reliable, like a
 * PeerJS data connection), signalled through this process rather than a server, carrying the same
 * number of bytes as the SW fetch in messages of at most 256 KiB, paced on bufferedAmount. What the
 * bridge and SW add on top of WebRTC shows as the ratio against it. Functions passed to
 * page.evaluate run in Chromium: they are self-contained.
 */
import type { Visitor } from './browser.js';
import { withTimeout } from './browser.js';
import './page-types.js';

/** 256 KiB: Chromium's SCTP maxMessageSize here (262,144); a larger message closes the channel. */
const MESSAGE_BYTES = 256 * 1024;
/** Pacing: send while under 1 MiB queued, resume at 256 KiB (a fuller pipe than the notes' 256 KiB alone measured faster). */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** Stored chunks read ahead of the one being sent: a holder reads each answer's chunk when its request arrives, several at once. */
const STORED_READ_AHEAD = 4;

/** One raw transfer: sender's clock from the first send to the receiver's "done". */
export interface RawRun {
  readonly ms: number;
  readonly bytes: number;
  readonly messageBytes: number;
}

/** Connects A (offerer, sender) and B (answerer, receiver); bounded at 15 s. */
export async function openRawChannel(a: Visitor, b: Visitor): Promise<void> {
  const offer = await withTimeout(
    a.page.evaluate(async () => {
      window.__rawBench?.pc.close();
      const pc = new RTCPeerConnection({ iceServers: [] });
      const dc = pc.createDataChannel('raw-bench', { ordered: true });
      dc.binaryType = 'arraybuffer';
      window.__rawBench = { pc, dc, expected: 0, received: 0, relay: false };
      await pc.setLocalDescription(await pc.createOffer());
      // Non-trickle: the whole candidate list travels in the SDP, so one round trip is enough.
      if (pc.iceGatheringState !== 'complete') {
        await new Promise<void>((resolve) => {
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
          setTimeout(resolve, 5000);
        });
      }
      return pc.localDescription!.toJSON() as RTCSessionDescriptionInit;
    }),
    10_000,
    `${a.name}: raw channel offer`,
  );
  const answer = await withTimeout(
    b.page.evaluate(async (remote: RTCSessionDescriptionInit) => {
      window.__rawBench?.pc.close();
      const pc = new RTCPeerConnection({ iceServers: [] });
      const state = { pc, dc: undefined as RTCDataChannel | undefined, expected: 0, received: 0, relay: false };
      window.__rawBench = state;
      pc.addEventListener('datachannel', ({ channel }) => {
        channel.binaryType = 'arraybuffer';
        state.dc = channel;
        channel.addEventListener('message', ({ data }) => {
          state.received += (data as ArrayBuffer).byteLength ?? 0;
          // Relay mode (bench/p2p/ideal-relay.ts): the message goes on to this page's SW, transferred.
          if (state.relay) navigator.serviceWorker.controller?.postMessage(data, [data as ArrayBuffer]);
          if (state.expected > 0 && state.received >= state.expected) {
            if (state.relay) navigator.serviceWorker.controller?.postMessage('end');
            channel.send(`done:${state.received}`);
            state.expected = 0;
          }
        });
      });
      await pc.setRemoteDescription(remote);
      await pc.setLocalDescription(await pc.createAnswer());
      if (pc.iceGatheringState !== 'complete') {
        await new Promise<void>((resolve) => {
          pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
          setTimeout(resolve, 5000);
        });
      }
      return pc.localDescription!.toJSON() as RTCSessionDescriptionInit;
    }, offer),
    10_000,
    `${b.name}: raw channel answer`,
  );
  await withTimeout(
    a.page.evaluate(async (remote: RTCSessionDescriptionInit) => {
      const { pc, dc } = window.__rawBench!;
      await pc.setRemoteDescription(remote);
      if (dc!.readyState !== 'open') await new Promise((resolve) => dc!.addEventListener('open', resolve, { once: true }));
    }, answer),
    15_000,
    `${a.name}→${b.name}: raw channel open`,
  );
}

/** Sends `bytes` from A to B over the open raw channel; bounded at 60 s. */
export async function measureRawTransfer(a: Visitor, b: Visitor, bytes: number): Promise<RawRun> {
  await b.page.evaluate((expected: number) => {
    const state = window.__rawBench!;
    state.received = 0;
    state.expected = expected;
  }, bytes);
  const run = await sendRaw(a, b.name, bytes);
  if (run.bytes !== bytes) throw new Error(`raw channel: ${b.name} received ${run.bytes} bytes, expected ${bytes}`);
  return run;
}

/** A's side of one transfer: sends `bytes` and waits for the receiver's "done"; bounded at 60 s. */
export function sendRaw(a: Visitor, receiver: string, bytes: number): Promise<RawRun> {
  return withTimeout(
    a.page.evaluate(
      async ({ total, messageBytes, highWater, lowWater }) => {
        const { pc, dc } = window.__rawBench!;
        const channel = dc!;
        const size = Math.min(messageBytes, pc.sctp?.maxMessageSize || messageBytes);
        const payload = new Uint8Array(size);
        // getRandomValues fills at most 64 KiB per call.
        for (let o = 0; o < size; o += 65536) crypto.getRandomValues(payload.subarray(o, Math.min(size, o + 65536)));
        channel.bufferedAmountLowThreshold = lowWater;
        const done = new Promise<number>((resolve, reject) => {
          channel.onmessage = ({ data }) => typeof data === 'string' && data.startsWith('done:') && resolve(Number(data.slice(5)));
          channel.onclose = () => reject(new Error('the raw channel closed mid-transfer'));
        });
        const started = performance.now();
        for (let sent = 0; sent < total; ) {
          if (channel.bufferedAmount > highWater) await new Promise((r) => channel.addEventListener('bufferedamountlow', r, { once: true }));
          const n = Math.min(size, total - sent);
          channel.send(n === size ? payload : payload.subarray(0, n));
          sent += n;
        }
        const received = await done;
        return { ms: performance.now() - started, bytes: received, messageBytes: size };
      },
      { total: bytes, messageBytes: MESSAGE_BYTES, highWater: HIGH_WATER, lowWater: LOW_WATER },
    ),
    60_000,
    `${a.name}→${receiver}: raw transfer of ${bytes} bytes`,
  );
}

/**
 * A's side of one transfer served from storage: each message is a chunk A's SW stored, read from
 * its IndexedDB chunk store (`db`/`store`: protocol CACHE_STORES) just before it is sent, a few
 * reads ahead as a holder's concurrent answers are. The ceiling of any design that serves from
 * IndexedDB (bench/p2p/ideal-relay.ts). Bounded at 60 s.
 */
export function sendStored(a: Visitor, receiver: string, chunks: readonly string[], where: { db: string; store: string }): Promise<RawRun> {
  return withTimeout(
    a.page.evaluate(
      async ({ chunks, db: dbName, store, highWater, lowWater, readAhead }) => {
        const { dc } = window.__rawBench!;
        const channel = dc!;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open(dbName);
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        const read = (key: string): Promise<ArrayBuffer> =>
          new Promise((resolve, reject) => {
            const get = db.transaction(store, 'readonly').objectStore(store).get(key);
            get.onsuccess = () => (get.result instanceof ArrayBuffer ? resolve(get.result) : reject(new Error(`chunk ${key} is not stored`)));
            get.onerror = () => reject(get.error);
          });
        channel.bufferedAmountLowThreshold = lowWater;
        const done = new Promise<number>((resolve, reject) => {
          channel.onmessage = ({ data }) => typeof data === 'string' && data.startsWith('done:') && resolve(Number(data.slice(5)));
          channel.onclose = () => reject(new Error('the raw channel closed mid-transfer'));
        });
        const started = performance.now();
        const reads: Promise<ArrayBuffer>[] = [];
        let next = 0;
        let size = 0;
        try {
          for (let sent = 0; sent < chunks.length; sent++) {
            while (reads.length < readAhead && next < chunks.length) reads.push(read(chunks[next++]!));
            const bytes = await reads.shift()!;
            size = Math.max(size, bytes.byteLength);
            if (channel.bufferedAmount > highWater) await new Promise((r) => channel.addEventListener('bufferedamountlow', r, { once: true }));
            channel.send(bytes);
          }
          const received = await done;
          return { ms: performance.now() - started, bytes: received, messageBytes: size };
        } finally {
          db.close();
        }
      },
      { chunks, ...where, highWater: HIGH_WATER, lowWater: LOW_WATER, readAhead: STORED_READ_AHEAD },
    ),
    60_000,
    `${a.name}→${receiver}: transfer of ${chunks.length} stored chunks`,
  );
}

/** Closes both ends (best effort: a page may already be gone). */
export async function closeRawChannel(...visitors: Visitor[]): Promise<void> {
  await Promise.all(
    visitors.map((v) =>
      v.page
        .evaluate(() => {
          window.__rawBench?.pc.close();
          delete window.__rawBench;
        })
        .catch(() => undefined),
    ),
  );
}
