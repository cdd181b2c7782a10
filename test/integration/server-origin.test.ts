/**
 * The origin: ranges, revalidation, Cache-Control, compression, and every way of asking for a file
 * outside the site (answered 403/404, with nothing of the file in the answer).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { TempDirs, bytesOf, writeTree } from '../support/cli.js';
import { rawGet, startServer, type Started } from './server-helpers.js';

const SECRET = 'TOP-SECRET-MARKER-4f1c';
const big = Array.from({ length: 4000 }, (_, i) => `line ${i} of a compressible text file\n`).join('');
const binary = bytesOf(300_000, 7);
const temps = new TempDirs();
let server: Started;

beforeAll(async () => {
  const root = await temps.make('swarmcdn-origin-');
  const site = join(root, 'site');
  const outside = join(root, 'outside');
  await writeTree(site, {
    'index.html': '<!doctype html><title>home</title>',
    'big.txt': big,
    'small.css': 'body { color: red }',
    'data.bin': binary,
    'sub/index.html': '<p>sub</p>',
    '.env': SECRET,
    '.secret/key.pem': SECRET,
    'a..b.txt': 'dots inside a name are fine',
    'with space.bin': binary.subarray(0, 5000),
  });
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), SECRET);
  await symlink(join(outside, 'secret.txt'), join(site, 'escape.txt'));
  await symlink(outside, join(site, 'outdir'));
  await symlink(join(site, 'big.txt'), join(site, 'inner-link.txt'));
  server = await startServer({ siteDir: site });
});

afterAll(async () => {
  await server?.app.close();
  await temps.cleanup();
});

describe('origin: ranges', () => {
  it('answers a byte range with 206, the exact bytes and Content-Range', async () => {
    const r = await server.app.inject({ url: '/data.bin', headers: { range: 'bytes=1000-1999', 'accept-encoding': 'br, gzip' } });
    expect(r.statusCode).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 1000-1999/${binary.length}`);
    expect(r.headers['content-length']).toBe('1000');
    expect(r.rawPayload.equals(binary.subarray(1000, 2000))).toBe(true);
  });

  it('answers a suffix range and an open-ended range', async () => {
    const suffix = await server.app.inject({ url: '/data.bin', headers: { range: 'bytes=-100' } });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.rawPayload.equals(binary.subarray(binary.length - 100))).toBe(true);
    const open = await server.app.inject({ url: '/data.bin', headers: { range: `bytes=${binary.length - 10}-` } });
    expect(open.headers['content-range']).toBe(`bytes ${binary.length - 10}-${binary.length - 1}/${binary.length}`);
  });

  it('answers an unsatisfiable range with 416, Content-Range bytes */size and a coded JSON body', async () => {
    const r = await server.app.inject({ url: '/data.bin', headers: { range: `bytes=${binary.length + 5}-` } });
    expect(r.statusCode).toBe(416);
    expect(r.headers['content-range']).toBe(`bytes */${binary.length}`);
    expect(r.json()).toMatchObject({ code: 'RANGE_NOT_SATISFIABLE' });
    const encoded = await server.app.inject({ url: '/with%20space.bin', headers: { range: 'bytes=6000-' } });
    expect([encoded.statusCode, encoded.headers['content-range']]).toEqual([416, 'bytes */5000']);
  });

  it('never compresses a range of a compressible file', async () => {
    const r = await server.app.inject({ url: '/big.txt', headers: { range: 'bytes=0-99', 'accept-encoding': 'br, gzip' } });
    expect(r.statusCode).toBe(206);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.body).toBe(big.slice(0, 100));
  });
});

describe('origin: revalidation and caching', () => {
  it('sends ETag and Last-Modified, and 304 for If-None-Match or If-Modified-Since', async () => {
    const first = await server.app.inject({ url: '/big.txt' });
    expect(first.statusCode).toBe(200);
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);
    expect(etag).toMatch(/^(W\/)?".+"$/);
    expect(Date.parse(lastModified)).toBeGreaterThan(0);
    const byTag = await server.app.inject({ url: '/big.txt', headers: { 'if-none-match': etag, 'accept-encoding': 'gzip' } });
    expect(byTag.statusCode).toBe(304);
    expect(byTag.rawPayload.length).toBe(0);
    expect(byTag.headers['content-encoding']).toBeUndefined();
    const byDate = await server.app.inject({ url: '/big.txt', headers: { 'if-modified-since': lastModified } });
    expect(byDate.statusCode).toBe(304);
  });

  it('gives HTML no-cache and other files the configured max-age', async () => {
    expect((await server.app.inject({ url: '/' })).headers['cache-control']).toBe('no-cache');
    expect((await server.app.inject({ url: '/sub/' })).headers['cache-control']).toBe('no-cache');
    expect((await server.app.inject({ url: '/big.txt' })).headers['cache-control']).toBe('public, max-age=300');
  });

  it('serves index.html for a directory, with and without the trailing slash, and HEAD without a body', async () => {
    expect((await server.app.inject({ url: '/sub/' })).body).toBe('<p>sub</p>');
    expect((await server.app.inject({ url: '/sub' })).body).toBe('<p>sub</p>');
    const head = await server.app.inject({ method: 'HEAD', url: '/index.html' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });
});

describe('origin: compression', () => {
  it('compresses a text file with br or gzip and says Vary: Accept-Encoding', async () => {
    const br = await server.app.inject({ url: '/big.txt', headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(String(br.headers.vary)).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(big);
    const gz = await server.app.inject({ url: '/big.txt', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(big);
    expect(gz.rawPayload.length).toBeLessThan(big.length / 4);
  });

  it('leaves binary media, tiny files and clients without Accept-Encoding alone', async () => {
    for (const url of ['/data.bin', '/small.css']) {
      const r = await server.app.inject({ url, headers: { 'accept-encoding': 'br, gzip' } });
      expect([url, r.headers['content-encoding']]).toEqual([url, undefined]);
    }
    const plain = await server.app.inject({ url: '/big.txt' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(big);
  });
});

describe('origin: nothing outside the site', () => {
  const attempts = [
    '/../outside/secret.txt',
    '/sub/../../outside/secret.txt',
    '/%2e%2e/outside/secret.txt',
    '/%2E%2E/outside/secret.txt',
    '/sub/%2e%2e/%2e%2e/outside/secret.txt',
    '/..%2foutside%2fsecret.txt',
    '/sub%2f..%2f..%2foutside/secret.txt',
    '/%252e%252e/outside/secret.txt',
    '/%252e%252e%252foutside%252fsecret.txt',
    '/..%5c..%5coutside%5csecret.txt',
    '/.%2e/outside/secret.txt',
    '//outside/secret.txt',
    '/escape.txt',
    '/outdir/secret.txt',
    '/outdir/',
    '/.env',
    '/%2eenv',
    '/.secret/key.pem',
    '/.secret/',
    '/sub/../.env',
    '/swarmcdn-manifest.json',
    '/%zz/../outside/secret.txt',
    '/%',
    '/index.html%00.txt',
  ];

  it.each(attempts)('refuses %s with 403/404 and leaks nothing', async (target) => {
    const r = await rawGet(server.port, target);
    expect([400, 403, 404]).toContain(r.status);
    expect(r.head + r.body).not.toContain(SECRET);
    expect(r.body).toMatch(/^\{"code":"(NOT_FOUND|PATH_FORBIDDEN|REQUEST_INVALID)"/);
  });

  it('still serves a symlink that stays inside the tree, and names with inner dots', async () => {
    expect((await rawGet(server.port, '/inner-link.txt')).status).toBe(200);
    expect((await rawGet(server.port, '/a..b.txt')).body).toBe('dots inside a name are fine');
  });

  it('answers a missing file with a coded 404', async () => {
    const r = await server.app.inject({ url: '/nope.txt' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
  });
});
