/**
 * `GET /swarmcdn/stats`: what the server holds (connections, swarms, content entries), the bytes
 * clients report by source (peer, cache, origin; each client's claims are capped at what a page
 * could move since it joined, server/tracker/session.ts), and the manifest version being published.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ROUTES } from '../../protocol/wire.js';

const count = { type: 'integer', minimum: 0 } as const;

/** The response schema, which also serializes the answer (fast-json-stringify). */
const statsSchema = {
  type: 'object',
  properties: {
    peers: {
      type: 'object',
      properties: { signalling: count, tracker: count, tracked: count },
      required: ['signalling', 'tracker', 'tracked'],
    },
    swarms: count,
    contentEntries: count,
    bytes: {
      type: 'object',
      properties: { peer: count, cache: count, origin: count },
      required: ['peer', 'cache', 'origin'],
    },
    manifestVersion: { type: ['integer', 'null'] },
    uptimeSeconds: count,
  },
  required: ['peers', 'swarms', 'contentEntries', 'bytes', 'manifestVersion', 'uptimeSeconds'],
} as const;

/** Serves the stats route. */
export const statsPlugin: FastifyPluginAsync = async (app) => {
  const ctx = app.swarmcdn;
  const started = Date.now();
  app.get(ROUTES.stats, { schema: { response: { 200: statsSchema } } }, async (_request, reply) => {
    const counts = ctx.store.tracker.counts();
    reply.header('cache-control', 'no-store');
    return {
      // Open sockets per endpoint, and peers the tracker knows (joined, across all sites).
      peers: { signalling: ctx.connections.signalling, tracker: ctx.connections.tracker, tracked: counts.peers },
      swarms: counts.swarms,
      contentEntries: counts.contentEntries,
      bytes: { peer: ctx.bytes.peer, cache: ctx.bytes.cache, origin: ctx.bytes.origin },
      manifestVersion: ctx.currentManifest?.version ?? null,
      uptimeSeconds: Math.floor((Date.now() - started) / 1000),
    };
  });
};
