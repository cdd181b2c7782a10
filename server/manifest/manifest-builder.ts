/**
 * Builds and signs the site's manifest by running the `swarmcdn manifest build` command as a child
 * process. The server never imports manifest-tool/ (the wings meet only in protocol/), and a child
 * keeps the hashing threads and their memory out of the serving process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SwarmError, isErrorCode } from '../../protocol/index.js';
import { cliScript } from '../package-root.js';

/** What one build reported. */
export interface BuildSummary {
  readonly out: string;
  readonly version: number;
  /** The version the manifest file held before (undefined: none, or unreadable). */
  readonly previousVersion: number | undefined;
  /** The lowest version this build was allowed to sign (`--min-version`). */
  readonly minVersion: number;
  readonly files: number;
  readonly bytes: number;
  readonly totalMs: number;
}

/** Where to build from, with which key, into which file. */
export interface BuildTarget {
  readonly siteDir: string;
  readonly keyFile: string;
  readonly out: string;
  /** The lowest version to sign, asked at the start of every build: one above what the server published. */
  readonly minVersion: () => number;
}

/** 1 MiB: the --json summary is one short line; anything bigger is not worth keeping. */
const MAX_OUTPUT = 1024 * 1024;

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const line = text.trim().split('\n').pop();
  try {
    const value: unknown = line ? JSON.parse(line) : undefined;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs builds one at a time; a request during a build coalesces into one more build after it. */
export class ManifestBuilder {
  private running: Promise<BuildSummary> | undefined;
  private pending: Promise<BuildSummary> | undefined;
  private child: ChildProcess | undefined;
  private closed = false;

  constructor(private readonly target: BuildTarget) {}

  /** Builds now, or right after the build in progress (which may predate the latest change). */
  build(): Promise<BuildSummary> {
    if (!this.running) return this.start();
    this.pending ??= this.running.catch(() => undefined).then(() => {
      this.pending = undefined;
      return this.start();
    });
    return this.pending;
  }

  /** Kills a build in progress; later builds are refused. */
  close(): void {
    this.closed = true;
    this.child?.kill('SIGTERM');
  }

  private start(): Promise<BuildSummary> {
    const run = this.spawnBuild().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private spawnBuild(): Promise<BuildSummary> {
    if (this.closed) return Promise.reject(new SwarmError('MANIFEST_BUILD_FAILED', 'the server is closing'));
    const { siteDir, keyFile, out } = this.target;
    const minVersion = this.target.minVersion();
    const args = [cliScript(), 'manifest', 'build', siteDir, '--key', keyFile, '--out', out, '--min-version', String(minVersion), '--json'];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout = (stdout + s).slice(-MAX_OUTPUT)));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-MAX_OUTPUT)));
      child.on('error', (error) => reject(new SwarmError('MANIFEST_BUILD_FAILED', `cannot run the manifest builder: ${error.message}`)));
      child.on('close', (code, signal) => {
        this.child = undefined;
        const result = lastJsonLine(stdout);
        if (code === 0 && result && typeof result.version === 'number') {
          resolve({
            out: String(result.out),
            version: result.version,
            previousVersion: typeof result.previousVersion === 'number' ? result.previousVersion : undefined,
            minVersion,
            files: Number(result.files),
            bytes: Number(result.bytes),
            totalMs: Number(result.totalMs),
          });
          return;
        }
        // The CLI prints `{ ok: false, code, message }`; keep its code in the details and message.
        const cause = result && isErrorCode(result.code) ? `${result.code}: ${String(result.message)}` : stderr.trim().split('\n').pop() || `exit ${code ?? signal}`;
        reject(new SwarmError('MANIFEST_BUILD_FAILED', `manifest build failed: ${cause}`, { cliCode: result?.code, exitCode: code }));
      });
    });
  }
}
