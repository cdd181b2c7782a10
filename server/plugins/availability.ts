/**
 * `GET /swarmcdn/availability[?site=…]`: how many peers of a site's swarm hold each file of the
 * current manifest, so a service worker decides at start, without asking the swarm, whether peers
 * can serve a file. The site is the page's origin, which is what pages send as `site` when they
 * join: `?site=` names it (the SW always sends it: a proxy in front, or a server on another origin,
 * sees another host); without it, the `Origin` of a cross-origin request, else the request's own
 * origin. Public, credential-less data: any origin may read it (CORS `*`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { SwarmError } from '../../protocol/index.js';
import { AVAILABILITY_PATH } from '../../protocol/messages/availability.js';
import { isTrackerSite } from '../../protocol/messages/tracker.js';
import { errorSchema } from '../http-cache.js';
import type { AvailabilityHub } from '../tracker/availability-hub.js';

/** The availability route's options: the hub the tracker keeps current. */
export interface AvailabilityPluginOptions {
  readonly availability: AvailabilityHub;
}

/** The response schema, which also serializes the answer (fast-json-stringify). */
const viewSchema = {
  type: 'object',
  properties: {
    manifestVersion: { type: 'integer', minimum: 0 },
    files: { type: 'object', additionalProperties: { type: 'integer', minimum: 1 } },
    assetMaxAgeSeconds: { type: 'integer', minimum: 0 },
  },
  required: ['manifestVersion', 'files'],
} as const;

/** Serves the availability route. */
export const availabilityPlugin: FastifyPluginAsync<AvailabilityPluginOptions> = async (app, { availability }) => {
  app.get(AVAILABILITY_PATH, { schema: { response: { 200: viewSchema, '4xx': errorSchema } } }, async (request, reply) => {
    // Before anything may throw: a refusal is readable cross-origin too, or a SW sees only a network error.
    // Vary: the answer may depend on Origin (below); `*` itself does not, so no credentials are ever involved.
    reply.header('access-control-allow-origin', '*').header('vary', 'origin');
    const { site: asked } = request.query as { site?: unknown };
    // A repeated `?site=` arrives as an array: refused like any other site the tracker would refuse.
    if (asked !== undefined && !isTrackerSite(asked)) throw new SwarmError('REQUEST_INVALID', 'site is not a site the tracker accepts');
    // A browser sends Origin on a cross-origin fetch: the page's (or its SW's) origin, the site it joined as.
    // An opaque origin ('null') names no site.
    const origin = request.headers.origin;
    const fromOrigin = origin !== 'null' && isTrackerSite(origin) ? origin : undefined;
    const site = asked ?? fromOrigin ?? `${request.protocol}://${request.host}`;
    reply.header('cache-control', 'no-store');
    // The origin's own lifetime for site files (server/plugins/origin.ts): a SW's answers get the same.
    return { ...availability.view(site), assetMaxAgeSeconds: app.swarmcdn.options.maxAgeSeconds };
  });
};
