import { describe, expect, it } from '@jest/globals';
import type { ManifestFile, Sha256Sri } from '../../../protocol/index.js';
import { matchSwarmRequest, type RequestShape } from '../../../sw/route-match.js';

const ORIGIN = 'https://site.example';
const entry: ManifestFile = { size: 10, contentType: 'image/png', integrity: `sha256-${'A'.repeat(43)}=` as Sha256Sri, chunks: [] };
const files: Record<string, ManifestFile> = {
  '/img/hero.png': entry,
  '/a%20b.js': entry,
  '/swarmcdn/listed.js': entry,
  '/~user/x+y.css': entry,
};

interface Init {
  method?: string;
  credentials?: RequestCredentials;
  headers?: Record<string, string>;
  mode?: RequestMode;
  destination?: RequestDestination;
}

function req(url: string, init: Init = {}): RequestShape {
  const headers = new Headers(init.headers);
  return { url, method: init.method ?? 'GET', credentials: init.credentials ?? 'same-origin', headers, mode: init.mode ?? 'cors', destination: init.destination ?? '' };
}

describe('matchSwarmRequest', () => {
  it('matches a plain same-origin GET of a manifest path, with its entry', () => {
    expect(matchSwarmRequest(req(`${ORIGIN}/img/hero.png`), ORIGIN, files)).toEqual({ path: '/img/hero.png', file: entry });
    expect(matchSwarmRequest(req(`${ORIGIN}/img/hero.png`, { credentials: 'omit' }), ORIGIN, files)).toBeDefined();
    expect(matchSwarmRequest(req(`${ORIGIN}/img/hero.png`, { headers: { range: 'bytes=0-1' } }), ORIGIN, files)).toBeDefined();
  });

  it('matches equivalent spellings through canonicalUrlPath', () => {
    expect(matchSwarmRequest(req(`${ORIGIN}/%7euser/x%2by.css`), ORIGIN, files)?.path).toBe('/~user/x+y.css');
    expect(matchSwarmRequest(req(`${ORIGIN}/a b.js`), ORIGIN, files)?.path).toBe('/a%20b.js');
  });

  it.each([
    ['POST', req(`${ORIGIN}/img/hero.png`, { method: 'POST' })],
    ['HEAD', req(`${ORIGIN}/img/hero.png`, { method: 'HEAD' })],
    ['fetch with credentials include', req(`${ORIGIN}/img/hero.png`, { credentials: 'include' })],
    ['an element with crossorigin=use-credentials', req(`${ORIGIN}/img/hero.png`, { credentials: 'include', mode: 'cors', destination: 'image' })],
    ['a query string', req(`${ORIGIN}/img/hero.png?v=3`)],
    ['an Authorization header', req(`${ORIGIN}/img/hero.png`, { headers: { Authorization: 'Bearer x' } })],
    ['another origin', req('https://cdn.example/img/hero.png')],
    ['another port', req('https://site.example:8443/img/hero.png')],
    ['another scheme', req('http://site.example/img/hero.png')],
    ['a path not in the manifest', req(`${ORIGIN}/img/other.png`)],
    ['the root', req(`${ORIGIN}/`)],
    ['a swarmcdn path, even one listed', req(`${ORIGIN}/swarmcdn/listed.js`)],
    ['the manifest route', req(`${ORIGIN}/swarmcdn/manifest`)],
    ['a trailing slash', req(`${ORIGIN}/img/hero.png/`)],
    ['an empty segment', req(`${ORIGIN}/img//hero.png`)],
    ['a dot segment inside a name', req(`${ORIGIN}/img/hero.png%2f..`)],
    ['a NUL byte', req(`${ORIGIN}/img/hero%00.png`)],
    ['an encoded slash', req(`${ORIGIN}/img%2Fhero.png`)],
    ['malformed percent-encoding', req(`${ORIGIN}/img/hero%zz.png`)],
    ['a case variant', req(`${ORIGIN}/IMG/hero.png`)],
    ['a prototype key', req(`${ORIGIN}/__proto__`)],
    ['a navigation', req(`${ORIGIN}/img/hero.png`, { mode: 'navigate', destination: 'document', credentials: 'include' })],
    ['an iframe navigation', req(`${ORIGIN}/img/hero.png`, { mode: 'navigate', destination: 'iframe' })],
    ['a worker script', req(`${ORIGIN}/a%20b.js`, { mode: 'same-origin', destination: 'worker' })],
  ])('leaves %s to the network', (_name, request) => {
    expect(matchSwarmRequest(request, ORIGIN, files)).toBeUndefined();
  });

  it('sees dot segments as the URL parser resolved them (what the browser sends)', () => {
    expect(matchSwarmRequest(req(`${ORIGIN}/x/%2e%2e/img/hero.png`), ORIGIN, files)?.path).toBe('/img/hero.png');
  });

  it('answers element loads, whose credentials mode is include by default, but never with an Authorization header', () => {
    const img = req(`${ORIGIN}/img/hero.png`, { credentials: 'include', mode: 'no-cors', destination: 'image' });
    expect(matchSwarmRequest(img, ORIGIN, files)?.path).toBe('/img/hero.png');
    const video = req(`${ORIGIN}/img/hero.png`, { credentials: 'include', mode: 'no-cors', destination: 'video', headers: { range: 'bytes=0-' } });
    expect(matchSwarmRequest(video, ORIGIN, files)?.path).toBe('/img/hero.png');
    const auth = req(`${ORIGIN}/img/hero.png`, { credentials: 'include', mode: 'no-cors', destination: 'image', headers: { authorization: 'Basic eA==' } });
    expect(matchSwarmRequest(auth, ORIGIN, files)).toBeUndefined();
    expect(matchSwarmRequest(req('https://cdn.example/img/hero.png', { credentials: 'include', mode: 'no-cors', destination: 'image' }), ORIGIN, files)).toBeUndefined();
  });

  it('answers navigations and worker scripts only when the site allows it', () => {
    const nav = req(`${ORIGIN}/img/hero.png`, { mode: 'navigate', destination: 'document', credentials: 'include' });
    expect(matchSwarmRequest(nav, ORIGIN, files, { documents: true })?.path).toBe('/img/hero.png');
    expect(matchSwarmRequest(nav, ORIGIN, files)).toBeUndefined();
    const script = req(`${ORIGIN}/a%20b.js`, { mode: 'no-cors', destination: 'script', credentials: 'include' });
    expect(matchSwarmRequest(script, ORIGIN, files)?.path).toBe('/a%20b.js');
  });

  it('matches nothing without a manifest', () => {
    expect(matchSwarmRequest(req(`${ORIGIN}/img/hero.png`), ORIGIN, undefined)).toBeUndefined();
  });

  it('leaves an unparsable URL alone', () => {
    expect(matchSwarmRequest(req('not a url'), ORIGIN, files)).toBeUndefined();
  });
});
