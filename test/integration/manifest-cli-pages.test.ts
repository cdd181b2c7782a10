/**
 * The manifest's page references for a site with HTML, CSS `url()`/`@import` and module imports,
 * through the real CLI: `manifest build` records `pages` in the signed manifest, `manifest verify`
 * passes, the service worker's verifier reads the same lists, and `--no-pages` leaves them out.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildManifest } from '../../manifest-tool/build.js';
import { loadSigningKey } from '../../manifest-tool/key-files.js';
import { fromBase64, importPublicKeyPem, verifyManifest, type Envelope } from '../../protocol/index.js';
import { TempDirs, assertCliBuilt, keygen, readEnvelope, swarmcdn, swarmcdnJson, writeTree, type KeyFiles } from '../support/cli.js';
import { DOCS_REFERENCES, INDEX_REFERENCES, INDEX_REFERENCES_WITHOUT_ORIGIN, PAGE_SITE, SITE_ORIGIN } from '../support/page-site.js';

interface BuildJson {
  out: string;
  files: number;
  pages: number;
}

const dirs = new TempDirs();
let root: string;
let site: string;
let key: KeyFiles;

beforeAll(async () => {
  assertCliBuilt();
  root = await dirs.make();
  site = join(root, 'site');
  key = await keygen(join(root, 'keys'));
  await writeTree(site, PAGE_SITE);
});

afterAll(() => dirs.cleanup());

let builds = 0;
/** Builds the site into a fresh manifest file outside it (exit 0 expected). */
async function build(...flags: string[]): Promise<BuildJson> {
  const out = join(root, `manifest-${++builds}.json`);
  const run = await swarmcdnJson<BuildJson>(['manifest', 'build', site, '--key', key.key, '--out', out, ...flags]);
  expect({ code: run.code, stdout: run.code === 0 ? '' : run.stdout }).toEqual({ code: 0, stdout: '' });
  return run.json;
}

describe('manifest build records pages', () => {
  it('signs each page with its references; verify passes, also against the tree; the SW verifier reads the lists', async () => {
    const built = await build('--origin', SITE_ORIGIN);
    expect(built.files).toBe(Object.keys(PAGE_SITE).length);
    expect(built.pages).toBe(2);
    const verify = await swarmcdnJson<{ valid: boolean; code?: string }>(['manifest', 'verify', built.out, '--pub', key.pub, '--dir', site]);
    expect({ code: verify.code, valid: verify.json.valid, failure: verify.json.code }).toEqual({ code: 0, valid: true, failure: undefined });

    const { manifest } = await readEnvelope(built.out);
    expect(manifest.pages).toEqual({ '/docs/index.html': DOCS_REFERENCES, '/index.html': INDEX_REFERENCES });
    const trusted = await importPublicKeyPem(await readFile(key.pub, 'utf8'));
    const verified = await verifyManifest(await readFile(built.out), { keys: [trusted] });
    expect(verified.manifest.pages).toEqual(manifest.pages);
  });

  it('without --origin an absolute URL to the site is not counted as its own', async () => {
    const { manifest } = await readEnvelope((await build()).out);
    expect(manifest.pages?.['/index.html']).toEqual(INDEX_REFERENCES_WITHOUT_ORIGIN);
  });

  it('--no-pages signs a manifest without the field: files stays its last', async () => {
    const built = await build('--no-pages');
    expect(built.pages).toBe(0);
    const { text, manifest } = await readEnvelope(built.out);
    expect(manifest).not.toHaveProperty('pages');
    const payload = new TextDecoder().decode(fromBase64((JSON.parse(text) as Envelope).payload)!);
    expect(payload).not.toContain('"pages"');
    expect(payload.endsWith('}}}')).toBe(true); // files is the last field
  });

  it('leaves pages out, with a warning, rather than sign an envelope over the cap verifiers accept', async () => {
    const withPages = await stat((await build()).out);
    const without = await stat((await build('--no-pages')).out);
    expect(withPages.size).toBeGreaterThan(without.size);
    const keys = [await loadSigningKey(key.key)];
    const headroom = 64 * 1024; // what the build keeps free for signatures added later
    const between = headroom + Math.floor((withPages.size + without.size) / 2);
    const out = join(root, 'capped.json');
    const capped = await buildManifest({ siteDir: site, keys, out, threads: 0, maxEnvelopeBytes: between });
    expect(capped.manifest).not.toHaveProperty('pages');
    expect(capped.stats.pages).toBe(0);
    expect(capped.warnings).toEqual([expect.stringMatching(/^pages left out/)]);
    expect((await readEnvelope(out)).manifest).not.toHaveProperty('pages');
    const roomy = await buildManifest({ siteDir: site, keys, out, threads: 0, maxEnvelopeBytes: headroom + withPages.size + 1024 });
    expect({ pages: roomy.stats.pages, warnings: roomy.warnings }).toEqual({ pages: 2, warnings: [] });
  });

  it('refuses an --origin that is not an http(s) origin as a usage error', async () => {
    const run = await swarmcdn(['manifest', 'build', site, '--key', key.key, '--out', join(root, 'bad.json'), '--origin', 'site.example/path']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/origin/);
  });
});
