// One wait for the swarm, shared by the readout and the assets, that never blocks the page for
// long: a browser without service workers, or a bridge that fails, still shows everything.
'use strict';
(() => {
  /** 6 s: a first visit registers the SW, opens a PeerJS peer and joins the tracker in 1–2 s on loopback. */
  const READY_FALLBACK_MS = 6000;
  const swarm = window.swarmcdn && window.swarmcdn.swarm;
  // swarm.ready never rejects today; a rejection is still reported rather than left hanging.
  const outcome = swarm && swarm.ready
    ? swarm.ready.then(() => 'ready', (error) => `failed (${(error && (error.code || error.message)) || error})`)
    : Promise.resolve('absent');
  window.swarmcdnDemo = Object.assign(window.swarmcdnDemo || {}, {
    swarm,
    /** 'ready', 'absent' or 'failed (…)', whenever the swarm settles. */
    swarmOutcome: outcome,
    /** The same, or 'timeout' after the fallback wait, whichever comes first. */
    whenSwarmReady: Promise.race([outcome, new Promise((resolve) => setTimeout(resolve, READY_FALLBACK_MS, 'timeout'))]),
  });
})();
