/**
 * `swarmcdn/bridge`: the page bridge for a site's own page bundle. Importing it starts nothing (the core loads on startSwarm);
 * the site calls startSwarm (the ready-made `swarmcdn/bridge.js` script tag does it for itself).
 */
import { setCoreLoader } from './start-swarm.js';

// The core (PeerJS and the rest) is a chunk of its own in the site's bundle, loaded when startSwarm runs.
setCoreLoader(() => import('./bridge-core.js'));

export { startSwarm, currentSwarm } from './start-swarm.js';
export { SWARM_DEFAULTS, type SwarmOptions, type SwarmConfig } from './options.js';
export type { Swarm, PageStats } from './swarm.js';
export type { SwStats } from '../protocol/messages/sw-page.js';
