/**
 * The manifest CLI's failures and its surface: bad input exits with a catalogue code and the
 * documented exit code, one short stderr message and no stack trace; keygen guards its files;
 * every command has --help and one JSON object with --json.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_PAYLOAD_TYPE, isErrorCode } from '../../protocol/index.js';
import { TempDirs, assertCliBuilt, hasStackTrace, keygen, swarmcdn, swarmcdnJson, writeTree, type KeyFiles } from '../support/cli.js';

const dirs = new TempDirs();
let root: string;
let site: string;
let manifest: string;
let key: KeyFiles;
let other: KeyFiles;
let garbage: string;

beforeAll(async () => {
  assertCliBuilt();
  root = await dirs.make();
  site = join(root, 'site');
  [key, other] = await Promise.all([keygen(join(root, 'key')), keygen(join(root, 'other'))]);
  await writeTree(site, { 'index.html': '<p>hi</p>', 'img/a.png': 'png' });
  garbage = join(root, 'garbage.txt');
  await writeFile(garbage, 'this is neither a key nor JSON \u0000\u00ff\n');
  await writeTree(root, {
    'no-signatures.json': JSON.stringify({ payloadType: MANIFEST_PAYLOAD_TYPE, payload: 'e30=', signatures: [] }),
    'not-a-manifest.json': JSON.stringify({ hello: 'world' }),
  });
  const run = await swarmcdnJson<{ out: string }>(['manifest', 'build', site, '--key', key.key, '--chunk-size', '1024']);
  expect(run.code).toBe(0);
  manifest = run.json.out;
});

afterAll(() => dirs.cleanup());

// Paths are filled in lazily: the table is built before beforeAll runs.
type Case = [name: string, args: () => string[], exit: number, code: string];
const CASES: Case[] = [
  ['build: missing site dir', () => ['manifest', 'build', join(root, 'nope'), '--key', key.key], 2, 'INPUT_NOT_FOUND'],
  ['build: site dir is a file', () => ['manifest', 'build', garbage, '--key', key.key], 2, 'INPUT_NOT_FOUND'],
  ['build: garbage key file', () => ['manifest', 'build', site, '--key', garbage], 2, 'KEY_INVALID'],
  ['build: a public key as --key', () => ['manifest', 'build', site, '--key', key.pub], 2, 'KEY_INVALID'],
  ['build: key file does not exist', () => ['manifest', 'build', site, '--key', join(root, 'missing.key')], 2, 'INPUT_NOT_FOUND'],
  ['build: key path is a directory', () => ['manifest', 'build', site, '--key', root], 2, 'INPUT_NOT_FOUND'],
  ['build: --key missing', () => ['manifest', 'build', site], 2, 'USAGE'],
  ['build: chunk size below 1024', () => ['manifest', 'build', site, '--key', key.key, '--chunk-size', '1023'], 2, 'CONFIG_INVALID'],
  ['build: --version 0', () => ['manifest', 'build', site, '--key', key.key, '--version', '0'], 2, 'USAGE'],
  ['build: unknown flag', () => ['manifest', 'build', site, '--key', key.key, '--no-such-flag'], 2, 'USAGE'],
  ['unknown command', () => ['frobnicate'], 2, 'USAGE'],
  ['verify: garbage manifest', () => ['manifest', 'verify', garbage, '--pub', key.pub], 1, 'MANIFEST_MALFORMED'],
  ['verify: JSON that is not an envelope', () => ['manifest', 'verify', join(root, 'not-a-manifest.json'), '--pub', key.pub], 1, 'MANIFEST_MALFORMED'],
  ['verify: envelope without signatures', () => ['manifest', 'verify', join(root, 'no-signatures.json'), '--pub', key.pub], 1, 'MANIFEST_SIGNATURE_MISSING'],
  ['verify: manifest file missing', () => ['manifest', 'verify', join(root, 'missing.json'), '--pub', key.pub], 2, 'INPUT_NOT_FOUND'],
  ['verify: garbage public key', () => ['manifest', 'verify', manifest, '--pub', garbage], 2, 'KEY_INVALID'],
  ['verify: a private key as --pub', () => ['manifest', 'verify', manifest, '--pub', key.key], 2, 'KEY_INVALID'],
  ['verify: threshold above the trusted keys', () => ['manifest', 'verify', manifest, '--pub', key.pub, '--threshold', '2'], 2, 'CONFIG_INVALID'],
  ['verify: --now is not a time', () => ['manifest', 'verify', manifest, '--pub', key.pub, '--now', 'yesterday-ish'], 2, 'USAGE'],
  ['verify: --dir does not exist', () => ['manifest', 'verify', manifest, '--pub', key.pub, '--dir', join(root, 'nope')], 2, 'INPUT_NOT_FOUND'],
  ['sign: garbage manifest', () => ['manifest', 'sign', garbage, '--key', other.key], 1, 'MANIFEST_MALFORMED'],
  ['sign: garbage key', () => ['manifest', 'sign', manifest, '--key', garbage], 2, 'KEY_INVALID'],
  ['diff: garbage manifest', () => ['manifest', 'diff', garbage, manifest], 1, 'MANIFEST_MALFORMED'],
  ['diff: one argument', () => ['manifest', 'diff', manifest], 2, 'USAGE'],
];

describe('bad input fails with a code, a short message and no stack trace', () => {
  it.each(CASES)('%s → --json: exit %i, code %s', async (_name, args, exit, code) => {
    const run = await swarmcdnJson<{ code?: string; valid?: boolean }>(args());
    expect({ exit: run.code, code: run.json.code }).toEqual({ exit, code });
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
  });

  it.each(CASES)('%s → human output: exit %i, at most two stderr lines, no stack trace', async (_name, args, exit) => {
    const run = await swarmcdn(args());
    expect(run.code).toBe(exit);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect(run.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
  });

  it('build --out into a directory that does not exist fails with OUTPUT_FAILED (exit 2), leaving no temp file', async () => {
    const run = await swarmcdnJson<{ code?: string }>(['manifest', 'build', site, '--key', key.key, '--out', join(root, 'no', 'such', 'dir', 'm.json')]);
    expect(run.code).not.toBe(0);
    expect(hasStackTrace(run.stdout + run.stderr)).toBe(false);
    expect({ exit: run.code, code: run.json.code, inCatalogue: isErrorCode(run.json.code) }).toEqual({ exit: 2, code: 'OUTPUT_FAILED', inCatalogue: true });
  });
});

describe('keygen guards the key files', () => {
  it('writes a PKCS#8 private key with mode 0600, an SPKI public key and a hex keyid', async () => {
    const pair = await keygen(join(root, 'fresh'));
    expect((await stat(pair.key)).mode & 0o777).toBe(0o600);
    expect(await readFile(pair.key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(await readFile(pair.pub, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(pair.keyid).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to overwrite without --force (exit 2, OUTPUT_EXISTS) and leaves both files as they were', async () => {
    const pair = await keygen(join(root, 'twice'));
    const before = await Promise.all([readFile(pair.key), readFile(pair.pub)]);
    const json = await swarmcdnJson<{ code: string }>(['keygen', '--out', pair.dir]);
    expect({ exit: json.code, code: json.json.code }).toEqual({ exit: 2, code: 'OUTPUT_EXISTS' });
    const human = await swarmcdn(['keygen', '--out', pair.dir]);
    expect(human.code).toBe(2);
    expect(hasStackTrace(human.stderr)).toBe(false);
    expect(await Promise.all([readFile(pair.key), readFile(pair.pub)])).toEqual(before);
    expect((await stat(pair.key)).mode & 0o777).toBe(0o600);
  });

  it('refuses when only the public key exists, writing neither file', async () => {
    const dir = join(root, 'pub-only');
    await mkdir(dir);
    await writeFile(join(dir, 'swarmcdn.pub'), 'old');
    const run = await swarmcdnJson<{ code: string }>(['keygen', '--out', dir]);
    expect({ exit: run.code, code: run.json.code }).toEqual({ exit: 2, code: 'OUTPUT_EXISTS' });
    await expect(stat(join(dir, 'swarmcdn.key'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('--force replaces the pair with a new keyid and tightens a loosened private key back to 0600', async () => {
    const pair = await keygen(join(root, 'forced'));
    await chmod(pair.key, 0o644);
    const run = await swarmcdnJson<{ keyid: string }>(['keygen', '--out', pair.dir, '--force']);
    expect(run.code).toBe(0);
    expect(run.json.keyid).not.toBe(pair.keyid);
    expect((await stat(pair.key)).mode & 0o777).toBe(0o600);
  });
});

describe('help and JSON output', () => {
  it.each([[[]], [['keygen']], [['manifest']], [['manifest', 'build']], [['manifest', 'verify']], [['manifest', 'sign']], [['manifest', 'diff']]])(
    'swarmcdn %j --help exits 0 with usage on stdout',
    async (command: string[]) => {
      const run = await swarmcdn([...command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout.length).toBeGreaterThan(0);
      expect(run.stderr).toBe('');
    },
  );

  it('keygen, build, verify, verify --dir, sign and diff each print one JSON object and nothing on stderr', async () => {
    const dir = join(root, 'json');
    const site2 = join(dir, 'site');
    await writeTree(site2, { 'a.txt': 'a' });
    const runs = [];
    runs.push(await swarmcdnJson(['keygen', '--out', join(dir, 'k')]));
    const k = { key: join(dir, 'k', 'swarmcdn.key'), pub: join(dir, 'k', 'swarmcdn.pub') };
    runs.push(await swarmcdnJson(['manifest', 'build', site2, '--key', k.key]));
    const out = join(site2, 'swarmcdn-manifest.json');
    const v1 = join(dir, 'v1.json');
    await writeFile(v1, await readFile(out));
    runs.push(await swarmcdnJson(['manifest', 'verify', out, '--pub', k.pub]));
    runs.push(await swarmcdnJson(['manifest', 'verify', out, '--pub', k.pub, '--dir', site2]));
    runs.push(await swarmcdnJson(['manifest', 'sign', out, '--key', other.key]));
    await rm(join(site2, 'a.txt'));
    runs.push(await swarmcdnJson(['manifest', 'build', site2, '--key', k.key]));
    runs.push(await swarmcdnJson(['manifest', 'diff', v1, out]));
    for (const run of runs) {
      expect({ code: run.code, stderr: run.stderr, isObject: typeof run.json === 'object' && run.json !== null }).toEqual({
        code: 0,
        stderr: '',
        isObject: true,
      });
    }
    expect(runs.at(-1)!.json).toMatchObject({ fromVersion: 1, toVersion: 2, removed: ['/a.txt'] });
  });
});
