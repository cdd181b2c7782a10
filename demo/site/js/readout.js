// The readout bar: polls swarm.stats() every 500 ms and shows where this visitor's bytes came from
// (the SW's counters: peers, its cache, the origin), what this tab uploaded, and its open peers.
'use strict';
(() => {
  const { formatBytes, swarm, swarmOutcome, whenSwarmReady } = window.swarmcdnDemo;
  const POLL_MS = 500;
  const $ = (id) => document.getElementById(id);

  function show(stats) {
    const sw = stats.sw;
    const bytes = sw ? sw.bytes : { peer: 0, cache: 0, origin: 0, upload: 0 };
    const total = bytes.peer + bytes.cache + bytes.origin;
    for (const source of ['peer', 'cache', 'origin']) {
      $(`bytes-${source}`).textContent = sw ? formatBytes(bytes[source]) : '–';
      // The exact count too, for scripts that check the demo (demo/two-visitors.mjs).
      $(`bytes-${source}`).dataset.bytes = String(sw ? bytes[source] : 0);
      $(`bar-${source}`).style.width = total > 0 ? `${(100 * bytes[source]) / total}%` : '0';
    }
    // The tab's own count; the SW's upload counter is the fallback (it spans every tab of the site).
    const upload = typeof stats.uploadBytes === 'number' ? stats.uploadBytes : bytes.upload;
    $('bytes-upload').textContent = formatBytes(upload);
    const connections = Array.isArray(stats.connections) ? stats.connections.length : stats.connections;
    $('peer-count').textContent = typeof connections === 'number' ? String(connections) : '–';
    $('swarm-peer').textContent = stats.peerId ? `peer ${String(stats.peerId).slice(0, 8)}` : '';
    $('swarm-status').textContent = sw || state !== 'swarm ready' ? state : 'swarm ready, but no service worker counters yet';
  }

  if (!swarm) {
    $('swarm-status').textContent = 'no swarm on this page (the bridge did not start): everything loads from the origin';
    return;
  }
  let state = 'starting the swarm…';
  const setState = (text) => ($('swarm-status').textContent = state = text);
  whenSwarmReady.then((result) => {
    if (result === 'timeout') setState('the swarm is not ready yet: assets load from the origin meanwhile');
  });
  swarmOutcome.then((result) => setState(result === 'ready' ? 'swarm ready' : `swarm ${result}: loading from the origin`));

  let busy = false;
  // Bounded: one call in flight at a time, and the timer dies with the page.
  setInterval(() => {
    if (busy || document.hidden) return;
    busy = true;
    Promise.resolve()
      .then(() => swarm.stats())
      .then(show, (error) => console.warn('swarmcdn demo: stats failed', error))
      .finally(() => (busy = false));
  }, POLL_MS);
})();
