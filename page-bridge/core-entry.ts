/**
 * The entry of `bridge-core.js`, the ES module bridge.js loads by URL (scripts/build.mjs builds it
 * apart from bridge.js). It starts nothing on its own.
 */
export { startCore } from './bridge-core.js';
