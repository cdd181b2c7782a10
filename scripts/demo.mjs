// `npm start`: serves the bundled demo site (demo/site) with `swarmcdn serve`, signing its manifest
// with a throwaway key made at start. The key and the manifest live in a temp dir (removed on exit),
// so the repository is never written to; --watch re-signs when a file under demo/site changes.
// PORT and HOST override 8080 and 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/swarmcdn.js');
const work = mkdtempSync(join(tmpdir(), 'swarmcdn-demo-'));
const cleanUp = () => rmSync(work, { recursive: true, force: true });

try {
  execFileSync(process.execPath, [bin, 'keygen', '--out', join(work, 'keys')], { stdio: 'ignore' });
} catch (error) {
  cleanUp();
  throw error;
}
const args = [
  bin, 'serve', join(root, 'demo/site'),
  '--key', join(work, 'keys/swarmcdn.key'),
  '--manifest', join(work, 'swarmcdn-manifest.json'),
  '--watch',
  '--port', process.env.PORT ?? '8080',
  '--host', process.env.HOST ?? '127.0.0.1',
];
console.log(`swarmcdn demo: throwaway signing key in ${work} (deleted on exit); Ctrl-C stops the server`);
const server = spawn(process.execPath, args, { stdio: 'inherit' });
// The server shuts down cleanly on the signal; this script waits for it, then removes the temp dir.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => {
  cleanUp();
  process.exit(code ?? (signal ? 1 : 0));
});
