/**
 * `swarmcdn/bridge`: the page bridge for a site's own page bundle. Importing it starts nothing;
 * the site calls startSwarm (the ready-made `swarmcdn/bridge.js` script tag does it for itself).
 */
export { startSwarm, currentSwarm } from './start-swarm.js';
export { SWARM_DEFAULTS, type SwarmOptions, type SwarmConfig } from './options.js';
export type { Swarm, PageStats } from './swarm.js';
export type { SwStats } from '../protocol/messages/sw-page.js';
