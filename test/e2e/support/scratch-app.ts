/**
 * A site that adopts swarmcdn the way a user would: `npm pack` of this repository, the tarball
 * installed into an empty directory under os.tmpdir(), and the scratch app's own files written
 * beside it (scratch-app-files.ts). Its server runs as a child process from that directory, so every
 * `swarmcdn/...` import resolves through node_modules/swarmcdn and its package.json "exports",
 * never through this repository's sources.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { SERVER_JS } from './scratch-app-files.js';
import { VISITOR_UA_PREFIX } from './server.js';

const run = promisify(execFile);

/** The repository root (this file is test/e2e/support/scratch-app.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const NPM = 'npm';
/** npm on a loaded 2-core machine: packing runs the prepack build (declarations take ~10 s). */
const NPM_TIMEOUT_MS = 120_000;

/** One asset of a scratch site, as written to disk. */
export interface ScratchFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** The manifest's `integrity` (SRI) of the file: what the availability view is keyed by. */
  readonly integrity: string;
}

/** An installed scratch app. */
export interface ScratchApp {
  readonly dir: string;
  readonly keyFile: string;
  readonly pubFile: string;
  /** Writes files under `site` (relative path → bytes or text). */
  writeSite(site: string, files: Readonly<Record<string, Uint8Array | string>>): Promise<void>;
  /** Writes random assets under `site`; returns them with their hashes. */
  writeAssets(site: string, sizes: Readonly<Record<string, number>>): Promise<ScratchFile[]>;
  /** Bundles `entry` (relative to the app) for the browser with esbuild, resolving from the app's node_modules. */
  bundle(entry: string, out: string, define?: Readonly<Record<string, string>>): Promise<void>;
  /** Runs `node <script> ...args` in the app; resolves with its stdout. */
  node(script: string, args: readonly string[]): Promise<string>;
  /**
   * Bundles server.mjs into `out` with swarmcdn/server inlined (its dependencies stay packages), as
   * a site that ships one server file would: swarmcdn's code then runs outside node_modules/swarmcdn.
   */
  bundleServer(out: string): Promise<void>;
  /** Starts the app's server (`script`, default server.mjs) on a site directory. */
  start(site: string, script?: string): Promise<ScratchServer>;
  cleanup(): Promise<void>;
}

/** One request the scratch server printed. */
export interface ScratchRequest {
  readonly seq: number;
  readonly visitor: string;
  readonly method: string;
  readonly path: string;
}

/** The scratch app's server process. */
export interface ScratchServer {
  readonly url: string;
  readonly requests: ScratchRequest[];
  /** The holder counts the server publishes (`GET /swarmcdn/availability`). */
  availability(): Promise<Record<string, number>>;
  /** The server's output, for a failure message. */
  output(): string;
  stop(): Promise<void>;
}

/** Packs the repository (`npm pack`, which runs prepack: the library builds and declarations) into `dir`. */
export async function packRepo(dir: string): Promise<string> {
  const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', dir], { cwd: REPO_ROOT, timeout: NPM_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  // Lifecycle scripts may print before npm's JSON: it is the last top-level array.
  const json = stdout.slice(stdout.lastIndexOf('\n[') + 1);
  const [packed] = JSON.parse(json) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error(`npm pack printed no package: ${stdout.slice(-2000)}`);
  return join(dir, packed.filename);
}

/** The version of a package installed in this repository (so the scratch install finds it in npm's cache). */
function repoVersion(name: string): string {
  const require = createRequire(join(REPO_ROOT, 'package.json'));
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

/** Makes an empty app under os.tmpdir() and installs the tarball and the libraries the app imports itself. */
export async function installScratchApp(tarball: string): Promise<ScratchApp> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmcdn-scratch-'));
  try {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
    const libraries = ['fastify', 'workbox-core', 'workbox-routing', 'workbox-strategies'].map((name) => `${name}@${repoVersion(name)}`);
    await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, ...libraries], { cwd: dir, timeout: NPM_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    await writeFile(join(dir, 'server.mjs'), SERVER_JS);
    // The package's own bin makes the site's key, as a site would (`npx swarmcdn keygen`).
    await run(process.execPath, [join(dir, 'node_modules/.bin/swarmcdn'), 'keygen', '--out', join(dir, 'keys')], { cwd: dir, timeout: 30_000 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return scratchApp(dir);
}

function scratchApp(dir: string): ScratchApp {
  const keyFile = join(dir, 'keys/swarmcdn.key');
  const app: ScratchApp = {
    dir,
    keyFile,
    pubFile: join(dir, 'keys/swarmcdn.pub'),
    async writeSite(site, files) {
      for (const [path, content] of Object.entries(files)) {
        const file = join(dir, site, path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    },
    async writeAssets(site, sizes) {
      const written: ScratchFile[] = [];
      for (const [path, size] of Object.entries(sizes)) {
        const bytes = randomBytes(size);
        await app.writeSite(site, { [path]: bytes });
        const digest = createHash('sha256').update(bytes).digest();
        written.push({ path: `/${path}`, size, sha256: digest.toString('hex'), integrity: `sha256-${digest.toString('base64')}` });
      }
      return written;
    },
    async bundle(entry, out, define = {}) {
      await build({
        absWorkingDir: dir,
        entryPoints: [join(dir, entry)],
        outfile: join(dir, out),
        bundle: true,
        format: 'iife',
        platform: 'browser',
        target: ['chrome111'],
        // Workbox reads process.env.NODE_ENV; every bundler of a Workbox SW defines it.
        define: { 'process.env.NODE_ENV': '"production"', ...define },
        logLevel: 'error',
      });
    },
    async bundleServer(out) {
      const installed = JSON.parse(await readFile(join(dir, 'node_modules/swarmcdn/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      await build({
        absWorkingDir: dir,
        entryPoints: [join(dir, 'server.mjs')],
        outfile: join(dir, out),
        bundle: true,
        format: 'esm',
        platform: 'node',
        target: ['node20'],
        external: Object.keys(installed.dependencies ?? {}),
        logLevel: 'error',
      });
    },
    async node(script, args) {
      const { stdout } = await run(process.execPath, [join(dir, script), ...args], { cwd: dir, timeout: 30_000 });
      return stdout;
    },
    start: (site, script = 'server.mjs') => startScratchServer(join(dir, script), join(dir, site), keyFile),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
  return app;
}

/** Starts `node <script>` for one site directory and waits for its URL. */
async function startScratchServer(script: string, siteDir: string, keyFile: string): Promise<ScratchServer> {
  const child: ChildProcess = spawn(process.execPath, [script], {
    cwd: dirname(script),
    env: { ...process.env, SITE_DIR: siteDir, KEY_FILE: keyFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const requests: ScratchRequest[] = [];
  const output: string[] = [];
  const keep = (line: string): void => {
    output.push(line);
    if (output.length > 200) output.shift();
  };
  child.stderr!.setEncoding('utf8').on('data', (text: string) => keep(`stderr: ${text.trimEnd()}`));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the scratch server did not listen within 30 s:\n${output.join('\n')}`)), 30_000);
    void exited.then(() => fail(new Error(`the scratch server exited:\n${output.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: { listening?: string; request?: { ua: string; method: string; path: string } };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch {
        return keep(line);
      }
      if (parsed.request) {
        const { ua, method, path } = parsed.request;
        const visitor = ua.startsWith(VISITOR_UA_PREFIX) ? ua.slice(VISITOR_UA_PREFIX.length) : 'other';
        requests.push({ seq: requests.length + 1, visitor, method, path });
      } else if (parsed.listening) {
        clearTimeout(timer);
        done(parsed.listening);
      }
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url,
    requests,
    async availability() {
      const response = await fetch(`${url}/swarmcdn/availability`);
      const body = (await response.json()) as { files?: Record<string, number> };
      return body.files ?? {};
    },
    output: () => output.join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The PEM of the app's public key (baked into its SW bundle). */
export async function publicKeyPem(app: ScratchApp): Promise<string> {
  return readFile(app.pubFile, 'utf8');
}
