/**
 * Builds and signs the site's manifest in-process, through manifest-tool's library
 * (manifest-tool/index.ts: the same buildManifest the `swarmcdn manifest build` command runs).
 * Hashing runs on the library's worker threads, so the serving thread only walks the tree, reads
 * pages for their references and signs. Builds never overlap; closing abandons the one running.
 */
import { resolve } from 'node:path';
import { SwarmError, isSwarmError } from '../../protocol/index.js';
import { buildManifest, loadSigningKey, type BuildResult } from '../../manifest-tool/index.js';

/** What one build produced. */
export interface BuildSummary {
  readonly out: string;
  readonly version: number;
  /** The version the manifest file held before (undefined: none, or unreadable). */
  readonly previousVersion: number | undefined;
  /** The lowest version this build was allowed to sign (one above what the server published). */
  readonly minVersion: number;
  readonly files: number;
  readonly bytes: number;
  readonly totalMs: number;
  /** What the build skipped or left out without failing (a symlink out of the tree, `pages` over the cap). */
  readonly warnings: readonly string[];
}

/** Where to build from, with which key, into which file. */
export interface BuildTarget {
  readonly siteDir: string;
  readonly keyFile: string;
  readonly out: string;
  /** The lowest version to sign, asked at the start of every build: one above what the server published. */
  readonly minVersion: () => number;
  /** Hashing threads (default: the library's, every core). */
  readonly threads?: number;
}

function summarize(result: BuildResult, minVersion: number): BuildSummary {
  return {
    out: result.out,
    version: result.manifest.version,
    previousVersion: result.previousVersion,
    minVersion,
    files: result.stats.files,
    bytes: result.stats.bytes,
    totalMs: result.stats.totalMs,
    warnings: [...result.skipped.map((s) => `skipped ${s.relPath} (${s.reason})`), ...result.warnings],
  };
}

/** Runs builds one at a time; a request during a build coalesces into one more build after it. */
export class ManifestBuilder {
  private running: Promise<BuildSummary> | undefined;
  private pending: Promise<BuildSummary> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly target: BuildTarget) {}

  /**
   * Builds now, or right after the build in progress (which may predate the latest change).
   * Rejects with MANIFEST_BUILD_FAILED; `details.buildCode` is the library's own code
   * (MANIFEST_TOO_LARGE, KEY_INVALID, …).
   */
  build(): Promise<BuildSummary> {
    if (!this.running) return this.start();
    this.pending ??= this.running.catch(() => undefined).then(() => {
      this.pending = undefined;
      return this.start();
    });
    return this.pending;
  }

  /** Abandons a build in progress (nothing is written); later builds are refused. */
  close(): void {
    this.abort.abort(new SwarmError('MANIFEST_BUILD_FAILED', 'the server is closing'));
  }

  private start(): Promise<BuildSummary> {
    const run = this.run().finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async run(): Promise<BuildSummary> {
    const { siteDir, keyFile, out, threads } = this.target;
    const signal = this.abort.signal;
    const minVersion = this.target.minVersion();
    try {
      signal.throwIfAborted();
      // Read at every build, as the command would: a key replaced on disk signs the next build.
      const key = await loadSigningKey(keyFile);
      // The key file is forbidden in the tree: a private key inside the site is never published.
      const result = await buildManifest({ siteDir, keys: [key], out, minVersion, forbid: [resolve(keyFile)], threads, signal });
      return summarize(result, minVersion);
    } catch (error) {
      if (signal.aborted) throw signal.reason as Error;
      // One code for the caller to act on (a failed build), the library's own kept beside it.
      const code = isSwarmError(error) ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      throw new SwarmError('MANIFEST_BUILD_FAILED', `manifest build failed: ${code}: ${message}`, { ...(isSwarmError(error) ? error.details : {}), buildCode: code });
    }
  }
}
