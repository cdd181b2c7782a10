/**
 * What `manifest build` lists from awkward real trees (empty, unicode names, chunk boundaries,
 * dotfiles, symlinks, excludes, key files inside the site), and versioning plus `manifest diff`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Manifest } from '../../protocol/index.js';
import { REPO_ROOT, TempDirs, assertCliBuilt, bytesOf, keygen, readEnvelope, swarmcdnJson, writeTree, type KeyFiles } from '../support/cli.js';

const CHUNK = 1024;
// SHA-256 of zero bytes, as SRI.
const EMPTY_SRI = 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

interface BuildJson {
  out: string;
  version: number;
  files: number;
  skipped: { relPath: string; reason: string }[];
}

const dirs = new TempDirs();
let root: string;
let key: KeyFiles;

beforeAll(async () => {
  assertCliBuilt();
  root = await dirs.make();
  key = await keygen(join(root, 'keys'));
});

afterAll(() => dirs.cleanup());

/** A fresh site directory under the test root, filled with `files`. */
async function site(name: string, files: Readonly<Record<string, string | Uint8Array>> = {}): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeTree(dir, files);
  return dir;
}

/** Builds `dir` (exit 0 expected) and returns the CLI summary and the signed manifest. */
async function build(dir: string, ...flags: string[]): Promise<{ json: BuildJson; manifest: Manifest }> {
  const run = await swarmcdnJson<BuildJson>(['manifest', 'build', dir, '--key', key.key, '--chunk-size', String(CHUNK), ...flags]);
  expect({ code: run.code, failure: run.code === 0 ? '' : run.stdout }).toEqual({ code: 0, failure: '' });
  return { json: run.json, manifest: (await readEnvelope(run.json.out)).manifest };
}

async function verifyDir(dir: string, ...flags: string[]) {
  return swarmcdnJson<{ valid: boolean; code?: string; tree: { changed: string[]; missing: string[]; unlisted: string[] } }>([
    'manifest', 'verify', join(dir, 'swarmcdn-manifest.json'), '--pub', key.pub, '--dir', dir, ...flags,
  ]);
}

const paths = (m: Manifest): string[] => Object.keys(m.files).sort();
const sri = (bytes: Uint8Array): string => `sha256-${createHash('sha256').update(bytes).digest('base64')}`;

describe('edge trees', () => {
  it('an empty directory gives a manifest with zero files that verifies, also with --dir', async () => {
    const dir = await site('empty');
    const { json, manifest } = await build(dir);
    expect(json.files).toBe(0);
    expect(manifest.files).toEqual({});
    const run = await verifyDir(dir);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ valid: true, tree: { changed: [], missing: [], unlisted: [] } });
  });

  it('unicode and spaces in names become percent-encoded UTF-8 URL paths, and verify --dir finds them', async () => {
    const dir = await site('unicode', { 'a b/ünï cødé.txt': 'unicode', 'x+y=z,@.css': 'kept literal' });
    const { manifest } = await build(dir);
    expect(paths(manifest)).toEqual(['/a%20b/%C3%BCn%C3%AF%20c%C3%B8d%C3%A9.txt', '/x+y=z,@.css']);
    expect((await verifyDir(dir)).code).toBe(0);
  });

  it('a 0-byte file has no chunks and the integrity of empty input', async () => {
    const { manifest } = await build(await site('zero', { 'empty.txt': '' }));
    expect(manifest.files['/empty.txt']).toEqual({ size: 0, contentType: expect.any(String), integrity: EMPTY_SRI, chunks: [] });
  });

  it('exactly chunkSize bytes is one chunk equal to the file hash; chunkSize + 1 is two chunks', async () => {
    const exact = bytesOf(CHUNK, 7);
    const over = bytesOf(CHUNK + 1, 8);
    const { manifest } = await build(await site('boundary', { 'exact.bin': exact, 'over.bin': over }));
    expect(manifest.files['/exact.bin']).toMatchObject({ size: CHUNK, integrity: sri(exact), chunks: [sri(exact)] });
    expect(manifest.files['/over.bin']).toMatchObject({
      size: CHUNK + 1,
      integrity: sri(over),
      chunks: [sri(over.subarray(0, CHUNK)), sri(over.subarray(CHUNK))],
    });
  });

  it('nested directories are listed at full depth', async () => {
    const { manifest } = await build(await site('nested', { 'a/b/c/d/e.txt': 'deep', 'a/top.txt': 'top', 'root.txt': 'r' }));
    expect(paths(manifest)).toEqual(['/a/b/c/d/e.txt', '/a/top.txt', '/root.txt']);
  });

  it('dotfiles and dot-directories are skipped by default and listed with --dotfiles (and verify --dir --dotfiles agrees)', async () => {
    const dir = await site('dots', { '.env': 'SECRET=1', '.well-known/security.txt': 'contact', 'sub/.hidden': 'h', 'index.html': 'i' });
    expect(paths((await build(dir)).manifest)).toEqual(['/index.html']);
    const { manifest } = await build(dir, '--dotfiles');
    expect(paths(manifest)).toEqual(['/.env', '/.well-known/security.txt', '/index.html', '/sub/.hidden']);
    expect((await verifyDir(dir, '--dotfiles')).code).toBe(0);
  });

  it('a symlink to a file or directory outside the tree is not listed (and is reported as skipped); one inside is followed', async () => {
    const outside = await site('outside', { 'secret.txt': 'not for the site', 'dir/x.txt': 'x' });
    const dir = await site('links', { 'index.html': 'i', 'real/inner.txt': 'inner' });
    await symlink(join(outside, 'secret.txt'), join(dir, 'leak.txt'));
    await symlink(join(outside, 'dir'), join(dir, 'leakdir'));
    await symlink(join(dir, 'real', 'inner.txt'), join(dir, 'alias.txt'));
    const { json, manifest } = await build(dir);
    expect(paths(manifest)).toEqual(['/alias.txt', '/index.html', '/real/inner.txt']);
    expect(json.skipped).toEqual(
      expect.arrayContaining([
        { relPath: 'leak.txt', reason: 'symlink-outside-tree' },
        { relPath: 'leakdir', reason: 'symlink-outside-tree' },
      ]),
    );
  });

  it("--exclude '*.map' leaves out source maps at any depth (and verify --dir with the same --exclude agrees)", async () => {
    const dir = await site('maps', { 'app.js': 'a', 'app.js.map': '{}', 'js/deep/x.js': 'x', 'js/deep/x.js.map': '{}', 'mapping.txt': 'm' });
    const { manifest } = await build(dir, '--exclude', '*.map');
    expect(paths(manifest)).toEqual(['/app.js', '/js/deep/x.js', '/mapping.txt']);
    expect((await verifyDir(dir, '--exclude', '*.map')).code).toBe(0);
  });

  it('refuses to build when a signing key sits inside the site (it would be published), however the path is spelled', async () => {
    const dir = await site('keyed', { 'index.html': 'i' });
    const top = await keygen(dir);
    await keygen(join(dir, 'conf'));
    for (const keyArg of [relative(REPO_ROOT, top.key), `${dir}/conf/../conf/swarmcdn.key`]) {
      const run = await swarmcdnJson<{ code: string }>(['manifest', 'build', dir, '--key', keyArg]);
      expect({ exit: run.code, code: run.json.code }).toEqual({ exit: 2, code: 'CONFIG_INVALID' });
    }
    await expect(readFile(join(dir, 'swarmcdn-manifest.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a key in a dot-directory of the site is not published, and the signed tree verifies', async () => {
    const dir = await site('keyed-verify', { 'index.html': 'i' });
    const hidden = await keygen(join(dir, '.keys'));
    const { manifest } = await build(dir, '--key', hidden.key);
    expect(paths(manifest)).toEqual(['/index.html']);
    const run = await verifyDir(dir, '--pub', hidden.pub);
    expect(run.json.tree).toEqual(expect.objectContaining({ changed: [], missing: [], unlisted: [] }));
    expect(run.code).toBe(0);
  });

  it('a key reached through an in-tree symlinked directory is recognized as the key: the build refuses', async () => {
    const dir = await site('keyed-symlink', { 'index.html': 'i' });
    const hidden = await keygen(join(dir, '.keys')); // a dot-directory: the walk skips it, so only the link reaches the key
    await symlink('.keys', join(dir, 'keys'));
    const run = await swarmcdnJson<{ code: string }>(['manifest', 'build', dir, '--key', hidden.key]);
    expect({ exit: run.code, code: run.json.code }).toEqual({ exit: 2, code: 'CONFIG_INVALID' });
  });

  it('a file whose name is not valid UTF-8 is skipped with a warning, not a crash', async () => {
    const dir = await site('bad-name', { 'ok.txt': 'ok' });
    try {
      await writeFile(Buffer.concat([Buffer.from(join(dir, 'bad')), Buffer.from([0xff]), Buffer.from('.txt')]), 'x');
    } catch {
      return; // this file system refuses non-UTF-8 names: nothing to test here
    }
    const run = await swarmcdnJson<BuildJson & { code?: string }>(['manifest', 'build', dir, '--key', key.key]);
    expect({ exit: run.code, code: run.json.code }).toEqual({ exit: 0, code: undefined });
    expect(paths((await readEnvelope(run.json.out)).manifest)).toEqual(['/ok.txt']);
    expect(run.json.skipped).toHaveLength(1);
  });
});

describe('versions and diff', () => {
  it('two builds without --version give v1 then v2, and diff reports added, removed and changed paths', async () => {
    const dir = await site('versions', { 'same.txt': 'same', 'changed.txt': 'before', 'removed.txt': 'bye', 'type.txt': 't' });
    const first = await build(dir);
    expect(first.json.version).toBe(1);
    expect(first.manifest.version).toBe(1);
    const v1 = join(root, 'versions-v1.json');
    await writeFile(v1, await readFile(first.json.out));

    await writeFile(join(dir, 'changed.txt'), 'after!'); // same size, other bytes
    await rm(join(dir, 'removed.txt'));
    await writeTree(dir, { 'added/new.txt': 'hello' });
    const second = await build(dir);
    expect(second.json.version).toBe(2);
    expect(second.manifest.version).toBe(2);

    const diff = await swarmcdnJson(['manifest', 'diff', v1, second.json.out]);
    expect(diff.code).toBe(0);
    expect(diff.json).toEqual({ fromVersion: 1, toVersion: 2, added: ['/added/new.txt'], removed: ['/removed.txt'], changed: ['/changed.txt'] });
  });

  it('an explicit --version is used as given, and the next build continues from it', async () => {
    const dir = await site('explicit', { 'a.txt': 'a' });
    expect((await build(dir, '--version', '7')).manifest.version).toBe(7);
    expect((await build(dir)).manifest.version).toBe(8);
  });

  it('diff of a manifest with itself is empty', async () => {
    const dir = await site('self', { 'a.txt': 'a', 'b/c.txt': 'c' });
    const { json } = await build(dir);
    const diff = await swarmcdnJson(['manifest', 'diff', json.out, json.out]);
    expect(diff.json).toMatchObject({ added: [], removed: [], changed: [] });
  });
});
