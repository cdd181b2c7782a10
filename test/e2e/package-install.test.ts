/**
 * The installable package: `npm pack` of this repository, installed into an empty app under
 * os.tmpdir() with npm, used only through its public entry points. The tarball ships the builds,
 * declarations and bin but no tests or keys; a consumer's tsc accepts every entry point; and in real
 * Chromium (a) a Fastify app of its own registering `swarmcdnPlugin` beside its own route serves two
 * visitors where B gets every asset from A, and (b) the same with the site's own Workbox SW (its
 * own routes plus `installSwarm` from `swarmcdn/sw`, bundled with esbuild) and its own page bundle
 * (`swarmcdn/bridge`), the app's own routes still answered by its own strategies.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { E2eBrowser } from './support/browser.js';
import { OWN_SW_PAGE_HTML, PAGE_SRC_JS, PLUGIN_PAGE_HTML, SW_SRC_JS, SW_TYPES_CHECK_TS, TYPES_CHECK_TS, VERIFY_JS } from './support/scratch-app-files.js';
import { installScratchApp, packRepo, publicKeyPem, REPO_ROOT, type ScratchApp, type ScratchFile, type ScratchServer } from './support/scratch-app.js';
import type { Visitor } from './support/visitor.js';
import { waitFor } from './support/wait.js';

const run = promisify(execFile);

/** Sizes that make one, two and four 256 KiB chunks. */
const ASSET_SIZES = { 'img/one.bin': 200_000, 'img/two.bin': 400_000, 'media/four.bin': 1_000_000 };

let packDir: string | undefined;
let tarball = '';
let app: ScratchApp | undefined;
let browser: E2eBrowser | undefined;

beforeAll(async () => {
  packDir = await mkdtemp(join(tmpdir(), 'swarmcdn-pack-'));
  tarball = await packRepo(packDir);
  app = await installScratchApp(tarball);
  browser = await E2eBrowser.launch();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await app?.cleanup();
  if (packDir) await rm(packDir, { recursive: true, force: true });
}, 30_000);

function scratch(): { app: ScratchApp; browser: E2eBrowser } {
  if (!app || !browser) throw new Error('the scratch app did not install (see beforeAll)');
  return { app, browser };
}

/** Opens a visitor on a scratch server and waits for `swarm.ready`. */
async function visitor(server: ScratchServer, name: string): Promise<Visitor> {
  const v = await scratch().browser.visitor(name);
  await v.open(server.url);
  await v.ready();
  return v;
}

/** Fetches each asset through A's page (checked against the disk), then waits until the server lists A as a holder of each. */
async function seed(server: ScratchServer, a: Visitor, assets: readonly ScratchFile[]): Promise<void> {
  for (const file of assets) expect({ path: file.path, ...(await a.fetch(file.path)), contentRange: null }).toEqual({ path: file.path, status: 200, size: file.size, sha256: file.sha256, contentRange: null });
  await waitFor(
    () => server.availability(),
    (view) => assets.every((f) => (view[f.integrity] ?? 0) >= 1),
    { timeoutMs: 20_000, intervalMs: 200, what: `the server to list ${a.name} as a holder of every asset` },
  );
}

/** B fetches every asset after `ready`: each body is the file, none came from the origin, the SW counts them all as peer bytes. */
async function expectFromPeers(server: ScratchServer, b: Visitor, assets: readonly ScratchFile[]): Promise<void> {
  const mark = server.requests.length;
  for (const file of assets) expect({ path: file.path, ...(await b.fetch(file.path)), contentRange: null }).toEqual({ path: file.path, status: 200, size: file.size, sha256: file.sha256, contentRange: null });
  const paths = new Set(assets.map((f) => f.path));
  expect(server.requests.slice(mark).filter((r) => r.visitor === b.name && paths.has(r.path))).toEqual([]);
  const sw = await b.sw();
  expect({ peer: sw.bytes.peer, origin: sw.bytes.origin, responses: sw.responses.peer, badChunks: sw.badChunks }).toEqual({
    peer: assets.reduce((sum, f) => sum + f.size, 0),
    origin: 0,
    responses: assets.length,
    badChunks: 0,
  });
}

/** Runs a scenario on a started server; a failure carries the visitors' consoles and the server's output. */
async function withServer(site: string, body: (server: ScratchServer) => Promise<void>, script?: string): Promise<void> {
  const server = await scratch().app.start(site, script);
  try {
    await body(server);
  } catch (error) {
    const report = await scratch().browser.report().catch((e: unknown) => `no report: ${String(e)}`);
    const tail = server.requests.filter((r) => !r.path.startsWith('/swarmcdn/peerjs')).slice(-30).map((r) => `#${r.seq} ${r.visitor} ${r.method} ${r.path}`);
    const details = `\n\n=== diagnostics ===\n${report}\n--- scratch server output ---\n${server.output()}\n--- last requests ---\n${tail.join('\n')}`;
    if (error instanceof Error) error.message += details;
    throw error;
  } finally {
    await server.stop();
  }
}

describe('the swarmcdn package', () => {
  it('ships the builds, declarations, bin and README, and no tests, sources or keys', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    for (const entry of ['server', 'sw', 'bridge', 'protocol']) expect(files).toContain(`dist/lib/${entry}/index.js`);
    for (const types of ['server', 'sw', 'page-bridge', 'protocol']) expect(files).toContain(`dist/types/${types}/index.d.ts`);
    for (const file of ['bin/swarmcdn.js', 'dist/server/main.js', 'dist/manifest-tool/cli.js', 'dist/sw/sw.js', 'dist/page-bridge/bridge.js', 'dist/dashboard/dashboard.js', 'README.md', 'package.json']) expect(files).toContain(file);
    expect(files.filter((f) => /^(test|bench|demo|scripts)\/|^dist\/bench\/|\.(key|pem|pub)$|\.ts$(?<!\.d\.ts)/.test(f))).toEqual([]);
  });

  it("type-checks a page, a server and a service worker against the package's own declarations", async () => {
    const { app } = scratch();
    /** Runs the repository's tsc on one check file with the given libs; resolves with 'ok' or its errors. */
    const check = async (file: string, source: string, lib: string[]): Promise<string> => {
      await writeFile(join(app.dir, file), source);
      const compilerOptions = {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib,
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        // @types/node is a dev tool here: taken from this repository rather than installed again.
        typeRoots: [join(REPO_ROOT, 'node_modules/@types')],
        types: ['node'],
      };
      const project = join(app.dir, `tsconfig.${file}.json`);
      await writeFile(project, JSON.stringify({ compilerOptions, files: [file] }));
      return run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: app.dir, timeout: 90_000 }).then(
        () => 'ok',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
    };
    const results = await Promise.all([
      check('types-check.ts', TYPES_CHECK_TS, ['ES2023', 'DOM', 'DOM.Iterable']),
      check('sw-types-check.ts', SW_TYPES_CHECK_TS, ['ES2023', 'WebWorker']),
    ]);
    expect(results).toEqual(['ok', 'ok']);
  }, 90_000);

  it('(a) a Fastify app with swarmcdnPlugin beside its own route: B gets every asset from A; swarmcdn/protocol verifies its manifest', async () => {
    const { app } = scratch();
    const assets = await app.writeAssets('site-a', ASSET_SIZES);
    await app.writeSite('site-a', { 'index.html': PLUGIN_PAGE_HTML });
    await writeFile(join(app.dir, 'verify.mjs'), VERIFY_JS);
    await withServer('site-a', async (server) => {
      const verified = JSON.parse(await app.node('verify.mjs', [server.url, app.pubFile])) as Record<string, unknown>;
      expect(verified).toEqual({ version: 1, files: ['/img/one.bin', '/img/two.bin', '/index.html', '/media/four.bin'], tamperedCode: 'MANIFEST_SIGNATURE_INVALID', sameErrorClass: true });

      const a = await visitor(server, 'a');
      await seed(server, a, assets);
      const b = await visitor(server, 'b');
      await expectFromPeers(server, b, assets);
      // The app's own route still answers beside the plugin.
      expect(await b.page.evaluate(async () => (await fetch('/api/hello')).json())).toEqual({ hello: 'scratch app', route: 'own' });
      await a.close();
      await b.close();
    });
  }, 120_000);

  it("a server file that bundles swarmcdn/server in still finds the package's browser bundles and CLI", async () => {
    const { app } = scratch();
    await app.bundleServer('bundled/server.mjs');
    await app.writeSite('site-c', { 'index.html': '<!doctype html><title>bundled server</title>' });
    const shipped = (path: string): Promise<Buffer> => readFile(join(app.dir, 'node_modules/swarmcdn', path));
    await withServer(
      'site-c',
      async (server) => {
        // Signing at start ran the package's CLI; bridge.js is the package's own bundle.
        const manifest = await fetch(`${server.url}/swarmcdn/manifest`);
        const bridge = await fetch(`${server.url}/swarmcdn/bridge.js`);
        expect({ manifest: manifest.status, bridge: bridge.status }).toEqual({ manifest: 200, bridge: 200 });
        expect(Buffer.from(await bridge.arrayBuffer()).equals(await shipped('dist/page-bridge/bridge.js'))).toBe(true);
        expect((await fetch(`${server.url}/swarmcdn/sw.js`)).status).toBe(200);
      },
      'bundled/server.mjs',
    );
  }, 60_000);

  it("(b) the site's own Workbox SW with installSwarm: D gets every asset from C, and the app's own routes answer through its own strategies", async () => {
    const { app } = scratch();
    const assets = await app.writeAssets('site-b', ASSET_SIZES);
    await app.writeSite('site-b', { 'index.html': OWN_SW_PAGE_HTML });
    await writeFile(join(app.dir, 'sw.src.js'), SW_SRC_JS);
    await writeFile(join(app.dir, 'page.src.js'), PAGE_SRC_JS);
    await app.bundle('sw.src.js', 'site-b/sw.js', { SWARMCDN_PUBLIC_KEY: JSON.stringify(await publicKeyPem(app)) });
    await app.bundle('page.src.js', 'site-b/page.js');
    await withServer('site-b', async (server) => {
      const c = await visitor(server, 'c');
      expect(await c.page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${server.url}/sw.js`);
      await seed(server, c, assets);
      const d = await visitor(server, 'd');
      await expectFromPeers(server, d, assets);

      // The site's own routes, registered before the swarm's: one answered by the SW alone (the
      // server has no such route), one by NetworkFirst, which went to the server and kept a copy.
      const mark = server.requests.length;
      const own = await d.page.evaluate(async () => {
        const info = await fetch('/sw-info');
        const hello = await fetch('/api/hello');
        // NetworkFirst stores its copy after answering (in waitUntil): poll for it, bounded.
        let cached: Response | undefined;
        for (let i = 0; i < 50 && !cached; i += 1) {
          cached = await (await caches.open('scratch-api')).match('/api/hello');
          if (!cached) await new Promise((r) => setTimeout(r, 100));
        }
        return { info: [info.status, await info.json()], hello: [hello.status, await hello.json()], cached: cached ? await cached.json() : null };
      });
      expect(own).toEqual({ info: [200, { from: 'the site SW' }], hello: [200, { hello: 'scratch app', route: 'own' }], cached: { hello: 'scratch app', route: 'own' } });
      const reached = server.requests.slice(mark).filter((r) => r.visitor === 'd').map((r) => r.path);
      expect(reached).toContain('/api/hello');
      expect(reached).not.toContain('/sw-info');
      // swarmcdn's own sw.js was never asked for: the bridge left the SW to the site.
      expect(server.requests.filter((r) => r.path === '/swarmcdn/sw.js')).toEqual([]);
    });
  }, 120_000);
});
