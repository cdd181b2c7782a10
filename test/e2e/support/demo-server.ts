/**
 * The demo served exactly as `npm start` serves it (scripts/demo.mjs), in-process for a test:
 * demo/site with its generated assets (scripts/demo-assets.mjs, run as its own process, writes them
 * once into the gitignored demo/site/generated/), a throwaway key from `swarmcdn keygen` and the
 * signed manifest in a temp dir, metrics and the dashboard on, on 127.0.0.1:0. Plus what a test
 * reads about it: the catalog the demo page loads, the manifest, and who holds what (the public
 * availability view).
 */
import type { FastifyInstance } from 'fastify';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AVAILABILITY_PATH, parseAvailabilityView } from '../../../protocol/messages/availability.js';
import { fromBase64, parseEnvelope, parseManifest, type Manifest } from '../../../protocol/index.js';
import { buildServer } from '../../../server/build-server.js';
import { REPO_ROOT, assertCliBuilt, keygen } from '../../support/cli.js';

/** The demo's site root, as `npm start` serves it. */
export const DEMO_SITE_DIR = join(REPO_ROOT, 'demo/site');

/** One asset the demo page loads once its swarm is ready (from generated/catalog.json). */
export interface DemoAsset {
  readonly src: string;
  readonly bytes: number;
}

/** What generated/catalog.json lists: the page's gallery, dataset and panorama. */
export interface DemoCatalog {
  readonly gallery: readonly DemoAsset[];
  readonly dataset: DemoAsset;
  readonly panorama: DemoAsset;
}

/** The running demo server. */
export interface DemoServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly catalog: DemoCatalog;
  /** Every asset of the catalog, gallery first. */
  readonly assets: readonly DemoAsset[];
  /** The signed manifest the server published. */
  readonly manifest: Manifest;
  /** Whether this start generated the assets (a fresh clone), and how long that took. */
  readonly generated: { readonly fresh: boolean; readonly ms: number };
  /** Holders per manifest path, from GET /swarmcdn/availability (held files only). */
  holders(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Generating takes ~6 s in plain node; 60 s covers a loaded CI machine. */
const GENERATE_TIMEOUT_MS = 60_000;

/**
 * Runs `node scripts/demo-assets.mjs` (ensureDemoAssets on demo/site) as its own process: inside
 * jest's VM context the same pixel loops ran ~17× slower (100 s instead of 6 s on a fresh clone).
 * Resolves whether it generated (it prints only when it does) and how long it took.
 */
function ensureDemoAssets(): Promise<{ fresh: boolean; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(REPO_ROOT, 'scripts/demo-assets.mjs')], { cwd: REPO_ROOT, timeout: GENERATE_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`scripts/demo-assets.mjs failed: ${error.message}\n${stdout}${stderr}`));
      resolve({ fresh: stdout.includes('generating'), ms: Math.round(performance.now() - started) });
    });
  });
}

function asset(value: unknown, what: string): DemoAsset {
  const v = value as { src?: unknown; bytes?: unknown } | null;
  if (typeof v?.src !== 'string' || !v.src.startsWith('/generated/') || typeof v.bytes !== 'number' || !(v.bytes > 0)) {
    throw new Error(`demo catalog: ${what} is not { src: '/generated/…', bytes > 0 }: ${JSON.stringify(value)}`);
  }
  return { src: v.src, bytes: v.bytes };
}

/** Reads generated/catalog.json (our own generator's output, still checked: a stale one fails here, named). */
async function readCatalog(): Promise<DemoCatalog> {
  const raw = JSON.parse(await readFile(join(DEMO_SITE_DIR, 'generated/catalog.json'), 'utf8')) as { gallery?: unknown; dataset?: unknown; panorama?: unknown };
  if (!Array.isArray(raw.gallery) || raw.gallery.length === 0) throw new Error('demo catalog: no gallery');
  return { gallery: raw.gallery.map((g, i) => asset(g, `gallery[${i}]`)), dataset: asset(raw.dataset, 'dataset'), panorama: asset(raw.panorama, 'panorama') };
}

/** The manifest inside a signed envelope file (verified by the server that published it). */
async function readManifest(file: string): Promise<Manifest> {
  const payload = fromBase64(parseEnvelope(await readFile(file, 'utf8')).payload);
  if (!payload) throw new Error(`${file}: payload is not base64`);
  return parseManifest(payload);
}

/** Generates the demo's assets if needed, signs demo/site with a throwaway key and serves it. */
export async function startDemoServer(): Promise<DemoServer> {
  assertCliBuilt();
  const generated = await ensureDemoAssets();

  const work = await mkdtemp(join(tmpdir(), 'swarmcdn-e2e-demo-'));
  let app: FastifyInstance | undefined;
  try {
    const keys = await keygen(join(work, 'keys'));
    const manifestFile = join(work, 'swarmcdn-manifest.json');
    app = buildServer({ siteDir: DEMO_SITE_DIR, signingKeyFile: keys.key, manifestFile, metrics: true, dashboard: true, logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the demo server has no address');
    const url = `http://127.0.0.1:${address.port}`;
    const [catalog, manifest] = await Promise.all([readCatalog(), readManifest(manifestFile)]);
    const pathOf = new Map(Object.entries(manifest.files).map(([path, file]) => [file.integrity as string, path]));
    const server = app;
    return {
      url,
      app: server,
      catalog,
      assets: [...catalog.gallery, catalog.dataset, catalog.panorama],
      manifest,
      generated,
      async holders() {
        const response = await fetch(`${url}${AVAILABILITY_PATH}`, { signal: AbortSignal.timeout(5_000) });
        const view = parseAvailabilityView(await response.json());
        if (!view) throw new Error(`${AVAILABILITY_PATH} answered ${response.status} without a view`);
        return Object.fromEntries(Object.entries(view.files).map(([integrity, count]) => [pathOf.get(integrity) ?? integrity, count]));
      },
      async close() {
        await server.close();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await app?.close();
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}
