// `npm start` (until the server lands): signs the bundled demo site with a throwaway key and
// verifies it, printing what a site owner would see. Keys and the manifest go to a temp dir.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'swarmcdn-demo-'));
const cli = (...args) => {
  console.log(`\n$ swarmcdn ${args.join(' ').replaceAll(work + '/', '')}`);
  execFileSync(process.execPath, [join(root, 'bin/swarmcdn.js'), ...args], { stdio: 'inherit' });
};
try {
  cpSync(join(root, 'demo/site'), join(work, 'site'), { recursive: true });
  cli('keygen', '--out', join(work, 'keys'));
  cli('manifest', 'build', join(work, 'site'), '--key', join(work, 'keys/swarmcdn.key'));
  cli('manifest', 'verify', join(work, 'site/swarmcdn-manifest.json'), '--pub', join(work, 'keys/swarmcdn.pub'), '--dir', join(work, 'site'));
} finally {
  rmSync(work, { recursive: true, force: true });
}
