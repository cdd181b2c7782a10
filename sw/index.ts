/**
 * `swarmcdn/sw`: what a site with its own Workbox service worker needs to add the swarm path to it.
 * installSwarm does the whole wiring in one call; the parts are exported for a SW that wires itself.
 */
export { installSwarm, type InstallSwarmOptions, type InstalledSwarm } from './install-swarm.js';
export { PeerFirstStrategy, type PeerFirstStrategyOptions } from './peer-first-strategy.js';
export { matchSwarmRequest, SWARMCDN_PREFIX, type MatchOptions, type RequestShape, type SwarmMatch } from './route-match.js';
export { registerSwarmRoute } from './register-swarm-route.js';
export { createSwarmRuntime, type SwarmRuntime, type SwarmRuntimeOptions } from './swarm-runtime.js';
export { BridgeRegistry, postHello, type BridgeHandle, type ClientsLike } from './bridge-registry.js';
export { handlePageMessage } from './page-messages.js';
export { importTrustedKeys } from './trusted-keys.js';
export { addStaticRoutes, staticRouteRules, type StaticRouteRule } from './static-routes.js';
export { parseRange, type RangeRequest } from './byte-range.js';
