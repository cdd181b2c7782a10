/**
 * The tracker: a WebSocket at `options.tracker.path` where pages join their site's swarm, announce
 * what they hold, and ask who holds a hash (server/tracker/session.ts decides what every message
 * does). This file wires sockets to sessions, pushes new manifests to every client, flushes the
 * availability hub's per-site deltas, and closes silent sockets — each from one shared timer, since
 * a timer per socket would cost tens of thousands of timers.
 * @fastify/websocket must be registered before this plugin (buildServer does it once for all).
 */
// Types only: brings in the `{ websocket: true }` route overloads; the plugin itself is registered by buildServer.
import type {} from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { TrackerServerMessage } from '../../protocol/messages/tracker.js';
import type { ManifestUpdate } from '../context.js';
import type { AvailabilityHub } from '../tracker/availability-hub.js';
import { networkKey } from '../tracker/network-key.js';
import { TrackerSession } from '../tracker/session.js';

/** How often the sweep runs for a given alive timeout: a silent socket is closed within 1.25× the timeout. */
export function sweepIntervalMs(aliveTimeoutMs: number): number {
  // At least 20 ms (a test's tiny timeout must not spin), at most 5 s (20,000 sockets in one pass is ~1 ms).
  return Math.min(5_000, Math.max(20, Math.floor(aliveTimeoutMs / 4)));
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function decodeText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return data instanceof ArrayBuffer ? Buffer.from(data).toString('utf8') : data.toString('utf8');
}

/** The tracker plugin's options: the availability hub it feeds and flushes (shared with the HTTP route). */
export interface TrackerPluginOptions {
  readonly availability: AvailabilityHub;
}

/** Registers the tracker's WebSocket route, its manifest and availability pushes, and its alive sweep. */
export const trackerPlugin: FastifyPluginAsync<TrackerPluginOptions> = async (app, { availability }) => {
  const ctx = app.swarmcdn;
  const options = ctx.options.tracker;
  const store = ctx.store.tracker;
  const log = app.log.child({ plugin: 'tracker' });
  const sessions = new Set<TrackerSession>();
  const deps = {
    options,
    store,
    bytes: ctx.bytes,
    manifestVersion: () => ctx.currentManifest?.version,
    rng: Math.random,
    now: Date.now,
    availability,
  };

  app.get(options.path, { websocket: true }, (socket: WebSocket, request) => {
    const session = new TrackerSession(socket, networkKey(request.ip), deps);
    if (sessions.size >= options.maxConnections) {
      log.warn({ max: options.maxConnections }, 'tracker full; refusing a connection');
      session.fail('TRACKER_FULL');
      return;
    }
    sessions.add(session);
    ctx.connections.tracker += 1;
    socket.on('message', (data: RawData, isBinary: boolean) => {
      try {
        session.receive(byteLength(data), isBinary, () => decodeText(data));
      } catch (error) {
        // A bug (or a failing store) costs this one socket, never the process: an exception
        // thrown from a ws listener would otherwise be uncaught.
        log.error({ err: error }, 'tracker message handling failed');
        session.fail('INTERNAL');
      }
    });
    socket.once('close', () => {
      sessions.delete(session);
      ctx.connections.tracker -= 1;
      session.dispose();
    });
  });

  // Manifest push: serialized once, sent to every connected client in the same tick as the event.
  const onManifest = (update: ManifestUpdate): void => {
    const text = JSON.stringify({ type: 'manifest', version: update.version, etag: update.etag } satisfies TrackerServerMessage);
    for (const session of sessions) session.sendText(text);
    log.debug({ version: update.version, clients: sessions.size }, 'manifest pushed to tracker clients');
  };
  ctx.events.on('manifest', onManifest);

  const sweep = setInterval(() => {
    const deadline = Date.now() - options.aliveTimeoutMs;
    for (const session of sessions) if (session.lastFrameAt < deadline) session.fail('TRACKER_TIMEOUT');
  }, sweepIntervalMs(options.aliveTimeoutMs));
  // The sweep must never keep a process alive on its own.
  sweep.unref();

  // One timer for every site: each site with changes gets one delta, serialized once for all its sessions.
  const availabilityTimer = setInterval(() => {
    try {
      availability.flush();
    } catch (error) {
      // A bug here must not kill the process from a timer; the next tick tries again.
      log.error({ err: error }, 'availability flush failed');
    }
  }, options.availabilityIntervalMs);
  availabilityTimer.unref();

  app.addHook('onClose', async () => {
    clearInterval(sweep);
    clearInterval(availabilityTimer);
    ctx.events.off('manifest', onManifest);
    // @fastify/websocket closes the sockets themselves; forget their peers here in case a store outlives the app.
    for (const session of sessions) session.dispose();
    sessions.clear();
  });
};
