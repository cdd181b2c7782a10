/**
 * Messages from pages: a bridge port (with settings), a following tab's warm-up, a manifest push, a
 * stats or keyids request, and the manifest relay (the SW's envelope for a bridge, an envelope a peer relayed).
 * Everything is parsed first (parsePageToSwMessage); anything else is ignored.
 */
import { parsePageToSwMessage } from '../protocol/messages/sw-page.js';
import { withDeadline } from './deadline.js';
import { envelopeMessage, type SwarmRuntime } from './swarm-runtime.js';
import { warmPlan } from './warm-plan.js';

/** How long a warm-up waits for the availability view of a SW that just started (it is fetched at start). */
const WARM_VIEW_WAIT_MS = 2_000;
/** How long a prefetch waits for the copies of what the origin just served (they free it from re-fetching those). */
const COPY_FIRST_MS = 3_000;

/** The sender of a message that is a window or worker client (it has an id). */
function senderClient(source: ExtendableMessageEvent['source']): Client | undefined {
  return source && typeof (source as Partial<Client>).id === 'string' ? (source as Client) : undefined;
}

/** Asks a page's bridge to connect to holders of the files its page references (warm-plan.ts). */
async function warmPage(runtime: SwarmRuntime, handle: Parameters<SwarmRuntime['bridges']['warm']>[0], url: string): Promise<void> {
  const manifest = runtime.manifest.current();
  if (!manifest) return;
  // A SW that just started may still be fetching its view: who holds what is the whole question here.
  await runtime.availability.known(WARM_VIEW_WAIT_MS);
  const { cache } = runtime;
  const files = warmPlan(manifest, new URL(url).pathname, {
    holders: (f) => runtime.availability.holders(f),
    skip: (file) => cache.isTainted(file.integrity) || file.chunks.every((c) => cache.hasChunk(c)),
    minPeerBytes: runtime.settings().minPeerBytes,
  });
  if (files.length > 0) await runtime.bridges.warm(handle, files);
}

/** Handles one message event; `keyids` lists the keys this SW trusts. */
export function handlePageMessage(event: ExtendableMessageEvent, runtime: SwarmRuntime, keyids: () => Promise<string[]>): void {
  const message = parsePageToSwMessage(event.data, event.ports ?? []);
  if (!message) return;
  const source = event.source;
  const keepAlive = (work: Promise<unknown>): void => event.waitUntil(work.catch(() => undefined));
  switch (message.type) {
    case 'swarmcdn/bridge': {
      const client = senderClient(source);
      if (!client) {
        message.port.close();
        return;
      }
      const handle = runtime.bridges.add(client.id, message.port);
      keepAlive(
        Promise.all([
          runtime.applySettings(message.settings),
          runtime.manifest.firstLoad.then(async () => {
            client.postMessage({ type: 'swarmcdn/bridge-ok', manifestVersion: runtime.manifest.version() });
            await runtime.cache.ready;
            // Connections to holders of what this page needs open while it loads. The cache is
            // announced once the page's core has started ('swarmcdn/core-up'): before that a list of
            // thousands of hashes would only be cloned onto a page that is still loading.
            await warmPage(runtime, handle, client.url);
          }),
        ]),
      );
      return;
    }
    case 'swarmcdn/core-up': {
      const client = senderClient(source);
      const handle = client && runtime.bridges.get(client.id);
      if (!handle) return;
      keepAlive(
        runtime.cache.ready.then(() => {
          const complete = runtime.cache.completeFiles();
          return complete.length > 0 ? runtime.bridges.announce(handle, complete) : undefined;
        }),
      );
      return;
    }
    case 'swarmcdn/warm': {
      // A following tab's page: the leader's bridge (the one this visitor's SW uses) connects to
      // holders of what that page references, as a leading tab's own hand-over does for its page.
      const client = senderClient(source);
      if (!client) return;
      keepAlive(
        Promise.all([runtime.manifest.firstLoad, runtime.cache.ready]).then(async () => {
          const handle = await runtime.bridges.choose(client.id, 0);
          if (handle) await warmPage(runtime, handle, client.url);
        }),
      );
      return;
    }
    case 'swarmcdn/manifest-changed':
      if (message.version > runtime.manifest.version()) keepAlive(runtime.manifest.refresh());
      return;
    case 'swarmcdn/stats':
      source?.postMessage({
        type: 'swarmcdn/stats',
        stats: runtime.stats.snapshot(runtime.manifest.version(), runtime.availability.summary(), { files: runtime.cache.completeCount(), copying: runtime.copier.waiting() }),
      });
      return;
    case 'swarmcdn/availability':
      runtime.availability.apply(message.full, message.files);
      return;
    case 'swarmcdn/prefetch': {
      const client = senderClient(source);
      // The page is idle: first what the origin served is copied into the cache, then peers fill the rest.
      // Bounded: a slow copy must not keep peers from starting.
      if (client) keepAlive(withDeadline(runtime.copier.flush(), COPY_FIRST_MS).then(() => runtime.prefetcher.run(client.id, message.pages)));
      return;
    }
    case 'swarmcdn/keyids':
      keepAlive(keyids().then((ids) => source?.postMessage({ type: 'swarmcdn/keyids', keyids: ids })));
      return;
    case 'swarmcdn/get-envelope':
      keepAlive(
        runtime.manifest.firstLoad.then(() => {
          const envelope = runtime.manifest.envelope();
          source?.postMessage(envelope ? envelopeMessage(envelope) : { type: 'swarmcdn/envelope', version: 0 });
        }),
      );
      return;
    case 'swarmcdn/peer-envelope': {
      const { peerId } = message;
      // Refused: the relaying peer is dropped. Adopted: every bridge hears of it (swarm-runtime.ts);
      // the sender also at once, should its bridge not be registered yet (a repeat is ignored there).
      keepAlive(
        runtime.manifest.offer(new Uint8Array(message.bytes)).then((result) => {
          if (result.kind === 'refused') source?.postMessage({ type: 'swarmcdn/peer-envelope-refused', peerId, code: result.code });
          const envelope = result.kind === 'adopted' ? runtime.manifest.envelope() : undefined;
          if (envelope) source?.postMessage(envelopeMessage(envelope));
        }),
      );
      return;
    }
  }
}
