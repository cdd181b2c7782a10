/**
 * The origin never serves the signing key (or the manifest file) under a second name: a hard link
 * inside the site, a symlink to such a link, or a hard link to a key rotated while the server runs.
 * Paths differ in each case; only the file's identity (device and inode) gives it away.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { link, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair } from '../../protocol/index.js';
import { TempDirs, assertCliBuilt, keygen, writeTree, type KeyFiles } from '../support/cli.js';
import { rawGet, startServer, type Started } from './server-helpers.js';

const temps = new TempDirs();
let keys: KeyFiles;
let keyText: string;
let site: string;
let server: Started;

beforeAll(async () => {
  assertCliBuilt();
  const root = await temps.make('swarmcdn-origin-abuse-');
  keys = await keygen(join(root, 'keys'));
  keyText = await readFile(keys.key, 'utf8');
  site = join(root, 'site');
  await writeTree(site, { 'index.html': '<h1>home</h1>', 'notes/readme.txt': 'plain notes' });
  // The server signs at start-up; the builder itself refuses a key inside the tree, so the second
  // names appear afterwards, as they would on a running server (a deploy, an editor, an attacker).
  server = await startServer({ siteDir: site, signingKeyFile: keys.key });
  await link(keys.key, join(site, 'notes', 'key-copy.txt'));
  await symlink(join(site, 'notes', 'key-copy.txt'), join(site, 'via-symlink.txt'));
  await link(join(site, 'swarmcdn-manifest.json'), join(site, 'manifest-copy.json'));
  await link(join(site, 'notes', 'readme.txt'), join(site, 'readme-link.txt'));
});

afterAll(async () => {
  await server?.app.close();
  await temps.cleanup();
});

/** The answer to a raw GET, checked to carry nothing of the key. */
async function refused(target: string): Promise<void> {
  const r = await rawGet(server.port, target);
  expect([target, r.status]).toEqual([target, 404]);
  expect(r.body).toMatch(/^\{"code":"NOT_FOUND"/);
  expect(r.head + r.body).not.toContain('PRIVATE KEY');
  expect(r.body).not.toContain(keyText.split('\n')[1]!);
}

describe('origin: second names of hidden files', () => {
  it('refuses a hard link to the signing key inside the site, as it refuses the key', async () => {
    await refused('/notes/key-copy.txt');
  });

  it('refuses a symlink to that hard link', async () => {
    await refused('/via-symlink.txt');
  });

  it('refuses a hard link to the manifest file (published only at /swarmcdn/manifest)', async () => {
    await refused('/manifest-copy.json');
    expect((await server.app.inject({ url: '/swarmcdn/manifest' })).statusCode).toBe(200);
  });

  it('refuses a Range or HEAD request for the linked key too', async () => {
    const ranged = await server.app.inject({ url: '/notes/key-copy.txt', headers: { range: 'bytes=0-10' } });
    expect([ranged.statusCode, ranged.json().code]).toEqual([404, 'NOT_FOUND']);
    const head = await server.app.inject({ method: 'HEAD', url: '/notes/key-copy.txt' });
    expect(head.statusCode).toBe(404);
  });

  it('still serves ordinary files and hard links between them', async () => {
    expect((await rawGet(server.port, '/notes/readme.txt')).body).toBe('plain notes');
    expect((await rawGet(server.port, '/readme-link.txt')).body).toBe('plain notes');
    expect((await rawGet(server.port, '/')).status).toBe(200);
  });

  it('follows a key rotated while the server runs (a new file at the key path)', async () => {
    const fresh = await generateKeyPair();
    const tmp = `${keys.key}.new`;
    await writeFile(tmp, fresh.privatePem, { mode: 0o600 });
    await rename(tmp, keys.key);
    await link(keys.key, join(site, 'rotated.txt'));
    // Identities are taken again at most a second after they were last taken.
    await new Promise((r) => setTimeout(r, 1_100));
    const r = await rawGet(server.port, '/rotated.txt');
    expect(r.status).toBe(404);
    expect(r.body).not.toContain('PRIVATE KEY');
  });
});
