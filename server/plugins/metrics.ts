/**
 * `GET /swarmcdn/metrics`: the Prometheus text exposition of this server (server/metrics/registry.ts),
 * every name prefixed `swarmcdn_`. Registered only with the `metrics` option; without it the route
 * does not exist (the origin's 404).
 */
import type { FastifyPluginAsync } from 'fastify';
import { METRICS_PATH } from '../../protocol/messages/dashboard.js';
import type { ServerMetrics } from '../metrics/registry.js';

/** The metrics plugin's options: the registry the server's counters feed. */
export interface MetricsPluginOptions {
  readonly metrics: ServerMetrics;
}

/** Serves the exposition. */
export const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, { metrics }) => {
  app.get(METRICS_PATH, async (_request, reply) => {
    // Every scrape reads the live state; a cached answer would hide what changed.
    return reply.header('cache-control', 'no-store').type(metrics.contentType).send(await metrics.text());
  });
};
