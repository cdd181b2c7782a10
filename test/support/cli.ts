/**
 * Runs the built `swarmcdn` CLI as a real process and hands back what it printed and how it
 * exited; plus the temp-tree and envelope helpers the CLI integration tests share.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBase64, parseManifest, type Envelope, type Manifest } from '../../protocol/index.js';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/swarmcdn.js', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../dist/manifest-tool/cli.js', import.meta.url));

/** What one CLI run printed, and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fails fast with the fix when the CLI bundle is missing (jest does not build it; `npm test` does). */
export function assertCliBuilt(): void {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`node scripts/build.mjs\` before jest`);
}

/** Runs `swarmcdn ...args` with node, never through a shell; resolves whatever the exit code. */
export function swarmcdn(args: readonly string[], options: { cwd?: string } = {}): Promise<CliRun> {
  const env = { ...process.env };
  delete env.SWARMCDN_DEBUG; // it would add a stack trace to INTERNAL failures
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? REPO_ROOT, env, timeout: 20_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error); // spawn failure or timeout
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs with `--json` appended and parses stdout, which must be exactly one JSON line. */
export async function swarmcdnJson<T = Record<string, unknown>>(args: readonly string[]): Promise<CliRun & { json: T }> {
  const run = await swarmcdn([...args, '--json']);
  const lines = run.stdout.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got ${JSON.stringify(run)}`);
  return { ...run, json: JSON.parse(lines[0]!) as T };
}

/** A key pair written by `swarmcdn keygen`. */
export interface KeyFiles {
  readonly dir: string;
  readonly key: string;
  readonly pub: string;
  readonly keyid: string;
}

/** Writes a key pair into `dir` through the CLI. */
export async function keygen(dir: string): Promise<KeyFiles> {
  const run = await swarmcdnJson<{ keyid: string; privateKeyPath: string; publicKeyPath: string }>(['keygen', '--out', dir]);
  if (run.code !== 0) throw new Error(`keygen failed: ${JSON.stringify(run)}`);
  return { dir, key: run.json.privateKeyPath, pub: run.json.publicKeyPath, keyid: run.json.keyid };
}

/** Temp directories made by one test file, removed together in afterAll. */
export class TempDirs {
  private readonly made: string[] = [];

  /** A fresh empty directory under the OS temp dir. */
  async make(prefix = 'swarmcdn-it-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.made.push(dir);
    return dir;
  }

  /** Removes every directory made so far (restoring permissions a test may have taken away). */
  async cleanup(): Promise<void> {
    await Promise.all(
      this.made.splice(0).map(async (dir) => {
        await chmod(dir, 0o700).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      }),
    );
  }
}

/** Deterministic, non-repeating-looking bytes (no two chunks of a file are equal). */
export function bytesOf(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes files (relative '/' paths → contents) under `root`, creating directories. */
export async function writeTree(root: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, ...rel.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

/** Reads an envelope file and decodes its manifest without checking signatures (for assertions only). */
export async function readEnvelope(path: string): Promise<{ text: string; envelope: Envelope; manifest: Manifest }> {
  const text = await readFile(path, 'utf8');
  const envelope = JSON.parse(text) as Envelope;
  const payload = fromBase64(envelope.payload);
  if (!payload) throw new Error(`${path}: payload is not base64`);
  return { text, envelope, manifest: parseManifest(payload) };
}

/** True when the text has a JavaScript stack frame line. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at /m.test(text);
}
