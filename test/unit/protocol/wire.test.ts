/**
 * The wire contract: every URL the bridge and the SW use derives from one server base, a path
 * prefix and another origin included, and the bounds startSwarm checks are the ones the SW checks.
 */
import { describe, expect, it } from '@jest/globals';
import { resolveSwarmOptions } from '../../../page-bridge/options.js';
import { peerOptions } from '../../../page-bridge/peer-options.js';
import { SW_DEFAULTS, parseSwSettings } from '../../../protocol/messages/sw-page.js';
import { ROUTES, SW_SETTING_BOUNDS, serverBaseOfScript, serverUrl, withinBounds } from '../../../protocol/wire.js';
import { AvailabilityView } from '../../../sw/availability.js';
import { ManifestStore } from '../../../sw/manifest-store.js';
import { OriginTiming } from '../../../sw/origin-timing.js';
import { SwStatsCounter } from '../../../sw/sw-stats.js';

const PAGE = 'https://site.example';

/** The base startSwarm settles on for a `server` option given on PAGE. */
const base = (server: string | undefined): string => resolveSwarmOptions(server === undefined ? {} : { server }, PAGE).server;

describe('server URLs', () => {
  it('join a base with a route, with or without a trailing slash', () => {
    expect(serverUrl('https://a.example', ROUTES.manifest)).toBe('https://a.example/swarmcdn/manifest');
    expect(serverUrl('https://a.example/swarm/', ROUTES.sw)).toBe('https://a.example/swarm/swarmcdn/sw.js');
  });

  it('recover the base from a bundle URL, and refuse a URL that is not the route', () => {
    expect(serverBaseOfScript('https://a.example/swarmcdn/sw.js', ROUTES.sw)).toBe('https://a.example');
    expect(serverBaseOfScript('https://a.example:8443/x/y/swarmcdn/sw.js?v=2#f', ROUTES.sw)).toBe('https://a.example:8443/x/y');
    expect(serverBaseOfScript('https://a.example/my-sw.js', ROUTES.sw)).toBeUndefined();
    expect(serverBaseOfScript('not a url', ROUTES.sw)).toBeUndefined();
  });

  it.each([
    ['the page origin (default)', undefined, 'https://site.example'],
    ['a path prefix', '/swarm/', 'https://site.example/swarm'],
    ['another origin', 'http://127.0.0.1:9000', 'http://127.0.0.1:9000'],
    ['another origin with a prefix', 'https://cdn.example/a/b', 'https://cdn.example/a/b'],
  ])('the bridge and the SW derive every URL from the server option: %s', (_name, server, expected) => {
    const resolved = base(server);
    expect(resolved).toBe(expected);
    // The SW registered by the bridge finds the same base again from its own URL.
    expect(serverBaseOfScript(serverUrl(resolved, ROUTES.sw), ROUTES.sw)).toBe(expected);
    // PeerJS: host, port, TLS and path from the same base.
    const url = new URL(expected);
    const peer = peerOptions({ server: resolved, iceServers: undefined });
    const secure = url.protocol === 'https:';
    expect(peer).toMatchObject({ host: url.hostname, secure, path: `${url.pathname.replace(/\/$/, '')}/swarmcdn/peerjs`, key: 'peerjs' });
    expect(peer.port).toBe(url.port ? Number(url.port) : secure ? 443 : 80);
  });
});

describe('the SW fetches from the server base', () => {
  it('asks for the availability view at <base>/swarmcdn/availability, naming the site', async () => {
    const asked: string[] = [];
    const view = new AvailabilityView({
      timing: new OriginTiming(),
      origin: PAGE,
      server: 'https://site.example/swarm',
      fetch: async (input) => {
        asked.push(String(input));
        // Not found: the view stays unknown and nothing is kept (there is no IndexedDB here).
        return new Response('{}', { status: 404 });
      },
    });
    await view.ready;
    expect(asked).toEqual([`https://site.example/swarm/swarmcdn/availability?site=${encodeURIComponent(PAGE)}`]);
  });

  it('asks for the manifest at the URL it is given', async () => {
    const asked: string[] = [];
    const store = new ManifestStore({
      keys: Promise.resolve([]),
      stats: new SwStatsCounter(),
      url: serverUrl('https://site.example/swarm', ROUTES.manifest),
      fetch: async (input) => {
        asked.push(String(input));
        return new Response('{}', { status: 404 });
      },
    });
    await store.firstLoad;
    expect(asked).toEqual(['https://site.example/swarm/swarmcdn/manifest']);
  });
});

describe('SW setting bounds', () => {
  const page = (option: string, value: number): boolean => {
    try {
      resolveSwarmOptions({ [option]: value }, PAGE);
      return true;
    } catch {
      return false;
    }
  };
  const sw = (option: string, value: number): boolean => parseSwSettings({ ...SW_DEFAULTS, [option]: value }) !== undefined;

  it.each(Object.keys(SW_SETTING_BOUNDS))('startSwarm and the SW accept and refuse the same %s', (option) => {
    const { min, max } = SW_SETTING_BOUNDS[option as keyof typeof SW_SETTING_BOUNDS];
    for (const value of [min - 1, min, max, max + 1, min + 0.5]) {
      const expected = withinBounds(value, { min, max });
      expect([value, page(option, value), sw(option, value)]).toEqual([value, expected, expected]);
    }
  });
});
