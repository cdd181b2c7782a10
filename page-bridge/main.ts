/**
 * The page bridge entry (`<script src="/swarmcdn/bridge.js"></script>`). For now it registers the
 * service worker for the whole site; peers, the tracker client and the SW ⇄ page API come with the
 * next issue. It never blocks the page: a browser without service workers just uses the origin.
 */

/** The SW's URL: beside this script, so a site that mounts swarmcdn elsewhere still finds it. */
function serviceWorkerUrl(): string {
  const script = document.currentScript;
  const base = script instanceof HTMLScriptElement && script.src ? script.src : `${location.origin}/swarmcdn/bridge.js`;
  return new URL('sw.js', base).href;
}

async function registerServiceWorker(url: string): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  try {
    // scope '/': the server answers sw.js with `Service-Worker-Allowed: /`.
    await navigator.serviceWorker.register(url, { scope: '/' });
  } catch (error) {
    console.warn('swarmcdn: service worker registration failed; the site keeps loading from the origin', error);
  }
}

// currentScript is only set while the script first runs, so read it now.
void registerServiceWorker(serviceWorkerUrl());
