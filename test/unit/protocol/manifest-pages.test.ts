/**
 * The manifest's optional `pages`: parsed and checked like `files` (each bad shape has its code),
 * serialized after `files` in canonical order, and absent from the bytes when there is none — so
 * every manifest signed before `pages` existed keeps its exact bytes.
 */
import { describe, expect, it } from '@jest/globals';
import {
  MANIFEST_TYPE,
  MAX_PAGE_REFERENCES,
  SwarmError,
  parseManifest,
  serializeManifest,
  utf8,
  type Manifest,
  type ManifestFile,
  type Sha256Sri,
} from '../../../protocol/index.js';

const H: Sha256Sri = `sha256-${'A'.repeat(43)}=`;
const C: Sha256Sri = `sha256-${'B'.repeat(43)}=`;
const html: ManifestFile = { size: 5, contentType: 'text/html', integrity: H, chunks: [H] };
const css: ManifestFile = { size: 0, contentType: 'text/css', integrity: C, chunks: [] };

/** A manifest without pages, files deliberately out of order. */
const BASE: Manifest = {
  type: MANIFEST_TYPE,
  version: 7,
  issuedAt: '2026-05-01T00:00:00.000Z',
  expiresAt: '2026-07-01T00:00:00.000Z',
  chunkSize: 1024,
  files: { '/css/site.css': css, '/index.html': html, '/docs/index.html': html, '/a%20b.png': css },
};

/** BASE as the serializer wrote it before `pages` existed: fixed key order, files by path, compact. */
const KNOWN_BYTES =
  '{"type":"swarmcdn/manifest@1","version":7,"issuedAt":"2026-05-01T00:00:00.000Z","expiresAt":"2026-07-01T00:00:00.000Z","chunkSize":1024,"files":{' +
  `"/a%20b.png":{"size":0,"contentType":"text/css","integrity":"${C}","chunks":[]},` +
  `"/css/site.css":{"size":0,"contentType":"text/css","integrity":"${C}","chunks":[]},` +
  `"/docs/index.html":{"size":5,"contentType":"text/html","integrity":"${H}","chunks":["${H}"]},` +
  `"/index.html":{"size":5,"contentType":"text/html","integrity":"${H}","chunks":["${H}"]}}}`;

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function codeOf(value: unknown): string {
  try {
    parseManifest(utf8(JSON.stringify(value)));
  } catch (error) {
    if (error instanceof SwarmError) return error.code;
    throw error;
  }
  return 'ACCEPTED';
}

describe('manifest pages', () => {
  it('a manifest without pages, or with none listed, serializes exactly as before', () => {
    expect(text(serializeManifest(BASE))).toBe(KNOWN_BYTES);
    expect(text(serializeManifest({ ...BASE, pages: {} }))).toBe(KNOWN_BYTES);
    const parsed = parseManifest(utf8(KNOWN_BYTES));
    expect(parsed).not.toHaveProperty('pages');
    expect(text(serializeManifest(parsed))).toBe(KNOWN_BYTES);
  });

  it('round trip: pages after files, sorted by page, each list sorted and distinct', () => {
    const manifest: Manifest = {
      ...BASE,
      pages: { '/index.html': ['/css/site.css', '/a%20b.png', '/css/site.css'], '/docs/index.html': ['/css/site.css'] },
    };
    const bytes = serializeManifest(manifest);
    expect(text(bytes)).toBe(
      KNOWN_BYTES.slice(0, -1) + ',"pages":{"/docs/index.html":["/css/site.css"],"/index.html":["/a%20b.png","/css/site.css"]}}',
    );
    const parsed = parseManifest(bytes);
    expect(parsed.pages).toEqual({ '/docs/index.html': ['/css/site.css'], '/index.html': ['/a%20b.png', '/css/site.css'] });
    expect(parsed.files).toEqual(BASE.files);
    expect(serializeManifest(parsed)).toEqual(bytes);
  });

  it('accepts an unsorted list and a page with no references as signed', () => {
    const parsed = parseManifest(utf8(JSON.stringify({ ...BASE, pages: { '/index.html': ['/css/site.css', '/a%20b.png'], '/docs/index.html': [] } })));
    expect(parsed.pages).toEqual({ '/index.html': ['/css/site.css', '/a%20b.png'], '/docs/index.html': [] });
  });

  it('refuses each malformed pages shape with its code', () => {
    const cases: Array<[string, unknown]> = [
      ['MANIFEST_MALFORMED', null],
      ['MANIFEST_MALFORMED', ['/index.html']],
      ['MANIFEST_MALFORMED', 'pages'],
      ['MANIFEST_PATH_INVALID', { 'index.html': ['/css/site.css'] }],
      ['MANIFEST_PATH_INVALID', { '/docs/': ['/css/site.css'] }], // a directory URL: the page is /docs/index.html
      ['MANIFEST_PATH_INVALID', { '/x/../index.html': ['/css/site.css'] }],
      ['MANIFEST_MALFORMED', { '/about.html': ['/css/site.css'] }], // not a file of the manifest
      ['MANIFEST_MALFORMED', { '/index.html': '/css/site.css' }],
      ['MANIFEST_MALFORMED', { '/index.html': { 0: '/css/site.css' } }],
      ['MANIFEST_MALFORMED', { '/index.html': [42] }],
      ['MANIFEST_MALFORMED', { '/index.html': [null] }],
      ['MANIFEST_PATH_INVALID', { '/index.html': ['css/site.css'] }],
      ['MANIFEST_PATH_INVALID', { '/index.html': ['/css/../css/site.css'] }],
      ['MANIFEST_PATH_INVALID', { '/index.html': ['/a b.png'] }],
      ['MANIFEST_PATH_INVALID', { '/index.html': ['/css/site.css?v=1'] }],
      ['MANIFEST_MALFORMED', { '/index.html': ['/css/missing.css'] }],
      ['MANIFEST_MALFORMED', { '/index.html': ['/index.html'] }],
      ['MANIFEST_MALFORMED', { '/index.html': ['/css/site.css', '/a%20b.png', '/css/site.css'] }],
    ];
    for (const [code, pages] of cases) {
      expect([JSON.stringify(pages), codeOf({ ...BASE, pages })]).toEqual([JSON.stringify(pages), code]);
    }
    // JSON.parse makes "__proto__" an own key; it must be refused like any other non-path.
    let code = 'ACCEPTED';
    try {
      parseManifest(utf8(KNOWN_BYTES.slice(0, -1) + ',"pages":{"__proto__":["/css/site.css"]}}'));
    } catch (error) {
      code = (error as SwarmError).code;
    }
    expect(code).toBe('MANIFEST_PATH_INVALID');
  });

  it(`takes at most MAX_PAGE_REFERENCES (${MAX_PAGE_REFERENCES}) references per page`, () => {
    const files: Record<string, ManifestFile> = { '/index.html': html };
    const refs: string[] = [];
    for (let i = 0; i <= MAX_PAGE_REFERENCES; i++) {
      files[`/i/${i}.png`] = css;
      refs.push(`/i/${i}.png`);
    }
    expect(codeOf({ ...BASE, files, pages: { '/index.html': refs.slice(0, MAX_PAGE_REFERENCES) } })).toBe('ACCEPTED');
    expect(codeOf({ ...BASE, files, pages: { '/index.html': refs } })).toBe('MANIFEST_MALFORMED');
  });
});
