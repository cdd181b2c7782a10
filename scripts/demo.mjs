// `npm start`: serves the bundled demo site (demo/site) with `swarmcdn serve`, signing its manifest
// with a throwaway key made at start. The key and the manifest live in a temp dir (removed on exit);
// the only thing written into the repository is demo/site/generated/ (gitignored), the demo's large
// assets, generated once by scripts/demo-assets.mjs before the server starts so the manifest lists
// them. --watch re-signs when a file under demo/site changes. PORT and HOST override 8080 and 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDemoAssets } from './demo-assets.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/swarmcdn.js');
const siteDir = join(root, 'demo/site');
ensureDemoAssets(siteDir, { log: (line) => console.log(`swarmcdn demo: ${line}`) });
const work = mkdtempSync(join(tmpdir(), 'swarmcdn-demo-'));
const cleanUp = () => rmSync(work, { recursive: true, force: true });

try {
  execFileSync(process.execPath, [bin, 'keygen', '--out', join(work, 'keys')], { stdio: 'ignore' });
} catch (error) {
  cleanUp();
  throw error;
}
const args = [
  bin, 'serve', siteDir,
  '--key', join(work, 'keys/swarmcdn.key'),
  '--manifest', join(work, 'swarmcdn-manifest.json'),
  '--watch',
  // The demo shows what the server sees: /swarmcdn/dashboard (the server prints its URL) and /swarmcdn/metrics.
  '--metrics',
  '--dashboard',
  '--port', process.env.PORT ?? '8080',
  '--host', process.env.HOST ?? '127.0.0.1',
];
console.log(`swarmcdn demo: throwaway signing key in ${work} (deleted on exit); Ctrl-C stops the server`);
// Its own process group: a terminal's Ctrl-C reaches only this script, which passes it on once
// (the server treats a second signal as "exit now", so it must not get the terminal's and ours).
const server = spawn(process.execPath, args, { stdio: 'inherit', detached: true });
// The server shuts down cleanly on the signal; this script waits for it, then removes the temp dir.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => {
  cleanUp();
  process.exit(code ?? (signal ? 1 : 0));
});
