/**
 * The `serviceWorker` option: which script the bridge registers at scope `/` — swarmcdn's own by
 * default, a site's own Workbox SW (same origin only), or none when the site registers it itself.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { resolveSwarmOptions } from '../../../page-bridge/options.js';
import { SwLink, type SwLinkConfig } from '../../../page-bridge/sw-link.js';
import type { BridgeApi } from '../../../protocol/messages/sw-page.js';
import { PAGE, badOption } from './bad-option.js';


describe('resolveSwarmOptions serviceWorker', () => {
  it('leaves it unset by default, resolves a path against the page, keeps false', () => {
    expect(resolveSwarmOptions({}, PAGE).serviceWorker).toBeUndefined();
    expect(resolveSwarmOptions({ serviceWorker: '/sw.js' }, PAGE).serviceWorker).toBe('https://site.example/sw.js');
    expect(resolveSwarmOptions({ serviceWorker: 'https://site.example/app/sw.js?v=3' }, PAGE).serviceWorker).toBe('https://site.example/app/sw.js?v=3');
    expect(resolveSwarmOptions({ serviceWorker: false }, PAGE).serviceWorker).toBe(false);
  });

  it('refuses another origin, a fragment, credentials, non-strings and true', () => {
    for (const bad of ['https://cdn.example/sw.js', '//cdn.example/sw.js', '/sw.js#x', 'https://u:p@site.example/sw.js', '', 42, true, null]) {
      expect(badOption({ serviceWorker: bad })).toBe('serviceWorker');
    }
  });
});

const api = {} as BridgeApi;
const BASE = { server: PAGE, cacheBytes: 1_000_000, stallMs: 1_500, prefetchBytes: 0, minPeerBytes: 0, hedgeMs: 0, rateHedge: true };
const originalNavigator = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
const links: SwLink[] = [];

/** Starts a link against a container that records registrations; returns them. */
function registrations(config: SwLinkConfig): [string, unknown][] {
  const registered: [string, unknown][] = [];
  const container = Object.assign(new EventTarget(), {
    controller: null,
    startMessages: () => undefined,
    register: async (url: string, options: unknown) => void registered.push([url, options]),
  });
  Object.defineProperty(globalThis, 'navigator', { value: { serviceWorker: container }, configurable: true });
  const link = new SwLink(config, api);
  links.push(link);
  link.start();
  return registered;
}

afterEach(() => {
  for (const link of links.splice(0)) link.stop();
  if (originalNavigator) Object.defineProperty(globalThis, 'navigator', originalNavigator);
  else delete (globalThis as { navigator?: unknown }).navigator;
});

describe('SwLink registration', () => {
  it("registers swarmcdn's sw.js by default, the site's script when named, nothing for false", () => {
    expect(registrations(BASE)).toEqual([['https://site.example/swarmcdn/sw.js', { scope: '/' }]]);
    expect(registrations({ ...BASE, serviceWorker: undefined })).toEqual([['https://site.example/swarmcdn/sw.js', { scope: '/' }]]);
    expect(registrations({ ...BASE, serviceWorker: 'https://site.example/sw.js' })).toEqual([['https://site.example/sw.js', { scope: '/' }]]);
    expect(registrations({ ...BASE, serviceWorker: false })).toEqual([]);
  });
});
