/**
 * swarmcdn as a Fastify plugin: `app.register(swarmcdnPlugin, { siteDir, … })` adds the origin,
 * manifest publishing, browser assets, signalling, tracker, availability and stats to an existing app
 * (and, with the `metrics` and `dashboard` options, Prometheus metrics and the live dashboard).
 * fastify-plugin makes the `app.swarmcdn` decoration (and @fastify/websocket) visible to the host;
 * the routes, compression and error handling stay in an encapsulated child, so they never change
 * how the host's own routes behave.
 */
import { stat } from 'node:fs/promises';
import fastifyCompress from '@fastify/compress';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { SwarmError } from '../protocol/index.js';
import { compressOptions } from './compression.js';
import { createContext } from './context.js';
import { installErrorHandling } from './error-reply.js';
import { loadTrustedKeys } from './manifest/trusted-keys.js';
import { createServerCounters } from './metrics/counters.js';
import { ServerMetrics } from './metrics/registry.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { assetsPlugin } from './plugins/assets.js';
import { availabilityPlugin } from './plugins/availability.js';
import { dashboardPlugin } from './plugins/dashboard.js';
import { manifestPlugin } from './plugins/manifest.js';
import { metricsPlugin } from './plugins/metrics.js';
import { originPlugin } from './plugins/origin.js';
import { signallingPlugin } from './plugins/signalling.js';
import { statsPlugin } from './plugins/stats.js';
import { trackerPlugin } from './plugins/tracker.js';
import { createMemoryStore } from './store/memory-store.js';
import { AvailabilityHub } from './tracker/availability-hub.js';
import { TrackerService } from './tracker/tracker-service.js';

const swarmcdn: FastifyPluginAsync<ServerOptions> = async (app, rawOptions) => {
  // The Fastify plugin options object may carry Fastify's own fields (prefix, logLevel); take ours.
  const options = resolveOptions(rawOptions);
  if (!(await stat(options.siteDir).catch(() => undefined))?.isDirectory()) {
    throw new SwarmError('CONFIG_INVALID', `siteDir is not a directory: ${options.siteDir}`);
  }
  const keys = await loadTrustedKeys(options);
  const ctx = createContext(options, createMemoryStore(), keys.pems);
  app.decorate('swarmcdn', ctx);
  // Counted whether or not metrics are served: a plain field increment costs no more than a check.
  const counters = createServerCounters();

  if (!app.hasDecorator('websocketServer')) {
    await app.register(fastifyWebsocket, {
      options: {
        // ws refuses larger frames itself (close 1009) before a plugin ever sees them.
        maxPayload: Math.max(options.signalling.maxMessageBytes, options.tracker.maxMessageBytes),
        // Per-message deflate costs tens of KiB per socket; 20,000 idle peers cannot afford it.
        perMessageDeflate: false,
      },
    });
  }

  await app.register(async (scope) => {
    installErrorHandling(scope);
    await scope.register(fastifyCompress, compressOptions);
    await scope.register(manifestPlugin, { keys: keys.keys, counters: counters.manifest });
    await scope.register(assetsPlugin);
    // One hub: the tracker feeds and flushes it, the HTTP route reads it.
    const availability = new AvailabilityHub({ store: ctx.store.tracker, manifest: () => ctx.currentManifest });
    // The tracker rides the signalling socket: one WebSocket per page, its id proven by its token.
    const tracker = new TrackerService({
      options: ctx.options.tracker,
      store: ctx.store.tracker,
      bytes: ctx.bytes,
      gauges: ctx.connections,
      availability,
      manifestVersion: () => ctx.currentManifest?.version,
      log: app.log.child({ plugin: 'tracker' }),
      counters: counters.tracker,
    });
    await scope.register(signallingPlugin, { tracker, counters: counters.signalling });
    await scope.register(trackerPlugin, { tracker });
    await scope.register(availabilityPlugin, { availability });
    await scope.register(statsPlugin);
    if (options.metrics) await scope.register(metricsPlugin, { metrics: new ServerMetrics(ctx, counters) });
    if (options.dashboard) await scope.register(dashboardPlugin, { availability });
    // Last: its wildcard route is the catch-all for everything the others do not answer.
    await scope.register(originPlugin);
  });
};

/** The swarmcdn Fastify plugin; takes the same options as buildServer (logger aside). */
export const swarmcdnPlugin = fp(swarmcdn, { fastify: '5.x', name: 'swarmcdn' });
