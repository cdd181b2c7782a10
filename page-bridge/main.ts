/**
 * The page bridge entry: `<script src="/swarmcdn/bridge.js"></script>`. Alone it starts the swarm
 * with the defaults (server = the page's origin), overridden by the tag's data attributes
 * (script-options.ts); with `data-manual` it only exposes `window.swarmcdn.startSwarm`. It never
 * throws at the page: whatever fails, the site keeps loading from the origin.
 */
import { ROUTES, serverUrl } from '../protocol/wire.js';
import type { CoreModule } from './bridge-core.js';
import { scriptSettings } from './script-options.js';
import { currentSwarm, setCoreLoader, startSwarm } from './start-swarm.js';
import type { Swarm } from './swarm.js';

/** The core bundle's version, set by the build (scripts/build.mjs): the server serves that core only. */
declare const __SWARMCDN_CORE_VERSION__: string;

/** What the bridge puts on `window`. */
export interface SwarmcdnGlobal {
  readonly startSwarm: typeof startSwarm;
  /** The running Swarm: the one the script tag started, or the one startSwarm made. */
  readonly swarm: Swarm | undefined;
}

// document.currentScript is set only while this script first runs: read it now, before any await.
const script = document.currentScript;
const dataset = script instanceof HTMLScriptElement ? { ...script.dataset } : {};

// The core is its own ES module beside this script, loaded without holding up the page's parser.
// Its URL names its version, so the browser may keep it for good and never runs a core from another build.
setCoreLoader((config) => import(`${serverUrl(config.server, ROUTES.bridgeCore)}?v=${__SWARMCDN_CORE_VERSION__}`) as Promise<CoreModule>);

// Assigned through a cast, not a global declaration: other code (bench/) declares its own view of it.
(window as unknown as { swarmcdn: SwarmcdnGlobal }).swarmcdn = Object.freeze({
  startSwarm,
  get swarm() {
    return currentSwarm();
  },
});

try {
  const settings = scriptSettings(dataset);
  if (!settings.manual) startSwarm(settings.options);
} catch (error) {
  console.warn('swarmcdn: not started; the site keeps loading from the origin', error);
}
