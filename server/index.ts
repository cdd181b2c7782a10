/**
 * `swarmcdn/server`: the origin, manifest publishing, signalling and tracker for Node, either as a
 * whole Fastify app (buildServer, not yet listening) or as a Fastify 5 plugin on the site's own app.
 */
export { buildServer } from './build-server.js';
export { swarmcdnPlugin } from './plugin.js';
export { DEFAULTS, type ServerOptions, type SignallingOptions, type TrackerOptions } from './options.js';
export type { SwarmcdnContext } from './context.js';
export { SwarmError } from '../protocol/index.js';
