/** Everything the CLI prints: human lines, or one JSON object with --json; a progress bar on a TTY. */
import { relative } from 'node:path';
import cliProgress from 'cli-progress';
import type { BuildResult } from './build.js';
import { failureLine } from './cli-shared.js';
import type { ProgressSink, VerifyResult } from './commands.js';
import type { ManifestDiff } from './diff.js';
import type { KeygenResult } from './key-files.js';

function mb(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Writes command results to stdout and errors to stderr (or both as JSON to stdout). */
export class CliOutput {
  private json = false;

  constructor(
    private readonly stdout: NodeJS.WriteStream,
    private readonly stderr: NodeJS.WriteStream,
  ) {}

  /** Switches JSON mode (set once per command). */
  setJson(json: boolean | undefined): this {
    this.json = Boolean(json);
    return this;
  }

  private print(value: unknown, human: string): void {
    this.stdout.write(this.json ? JSON.stringify(value) + '\n' : human + '\n');
  }

  /** A progress bar on a TTY (never in JSON mode or when piped). */
  progress(): ProgressSink | undefined {
    if (this.json || !this.stderr.isTTY) return undefined;
    const bar = new cliProgress.SingleBar(
      { format: 'hashing [{bar}] {percentage}% | {value_mb}/{total_mb} MB | {files}/{total_files} files', stream: this.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    return {
      start: (total, files) => bar.start(total, 0, { value_mb: '0', total_mb: (total / 1e6).toFixed(0), files: 0, total_files: files }),
      update: (done, files) => bar.update(done, { value_mb: (done / 1e6).toFixed(0), files }),
      stop: () => bar.stop(),
    };
  }

  keygen(r: KeygenResult): void {
    this.print(r, `keyid ${r.keyid}\nwrote ${r.privateKeyPath} (private, mode 0600: keep it out of the site)\nwrote ${r.publicKeyPath}`);
  }

  build(r: BuildResult): void {
    for (const s of r.skipped) this.stderr.write(`swarmcdn: warning: skipped ${s.relPath} (${s.reason})\n`);
    for (const w of r.warnings) this.stderr.write(`swarmcdn: warning: ${w}\n`);
    const { files, bytes, pages, hashMs, mbPerSec } = r.stats;
    this.print(
      { out: r.out, version: r.manifest.version, previousVersion: r.previousVersion ?? null, expiresAt: r.manifest.expiresAt, keyids: r.envelope.signatures.map((s) => s.keyid), skipped: r.skipped, warnings: r.warnings, ...r.stats },
      `signed manifest v${r.manifest.version} → ${displayPath(r.out)}\n` +
        `${files} files, ${mb(bytes)} hashed in ${(hashMs / 1000).toFixed(2)} s (${mbPerSec.toFixed(mbPerSec < 10 ? 1 : 0)} MB/s), expires ${r.manifest.expiresAt}` +
        (pages > 0 ? `\n${pages} pages with their references` : ''),
    );
  }

  /** Prints a verify result and returns its exit code. */
  verify(r: VerifyResult): number {
    if (!r.valid && !r.tree) {
      this.print(r, `INVALID [${r.code}]: ${r.message}`);
      return 1;
    }
    const lines = [`${r.valid ? 'valid' : 'INVALID [' + r.code + ']'}: manifest v${r.manifest!.version}, ${r.manifest!.files} files, expires ${r.manifest!.expiresAt}, signed by ${r.keyids!.join(', ')}`];
    if (r.tree) {
      for (const p of r.tree.changed) lines.push(`changed   ${p}`);
      for (const p of r.tree.missing) lines.push(`missing   ${p}`);
      for (const p of r.tree.unlisted) lines.push(`unlisted  ${p}`);
      lines.push(`checked ${r.tree.checkedFiles} files, ${mb(r.tree.checkedBytes)}`);
    }
    this.print(r, lines.join('\n'));
    return r.valid ? 0 : 1;
  }

  sign(r: { file: string; keyids: string[]; signatures: number }): void {
    this.print(r, `signed ${r.file} with ${r.keyids.join(', ')} (${r.signatures} signatures)`);
  }

  diff(d: ManifestDiff): void {
    const lines = [`v${d.fromVersion} → v${d.toVersion}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`];
    for (const p of d.added) lines.push(`+ ${p}`);
    for (const p of d.removed) lines.push(`- ${p}`);
    for (const p of d.changed) lines.push(`~ ${p}`);
    this.print(d, lines.join('\n'));
  }

  /** commander already wrote its message through usageError in human mode. */
  commanderFailure(code: string, message: string): void {
    if (this.json) this.stdout.write(JSON.stringify({ ok: false, code: 'USAGE', detail: code, message }) + '\n');
  }

  /** Where commander writes its own parse errors. */
  usageError(text: string): void {
    if (!this.json) this.stderr.write(text);
  }

  /** One line for a failed command, never a stack trace. */
  failure(code: string, message: string): void {
    if (this.json) this.stdout.write(JSON.stringify({ ok: false, code, message }) + '\n');
    else this.stderr.write(failureLine('swarmcdn', code, message));
  }
}
