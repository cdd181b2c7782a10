/**
 * The `swarmcdn` command line. This file parses argv and prints; the work is in plain functions
 * (keygen, buildManifest, verifyManifest, verifyTree, diffManifests) that tests call directly.
 * Exit codes: 0 ok, 1 invalid (a manifest that fails verification, a failed build), 2 usage
 * (bad flags, unreadable input, unusable key).
 */
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import ms from 'ms';
import { isSwarmError, type ErrorCode } from '../protocol/index.js';
import { collect, exitCodeFor, integerArg as integer } from './cli-shared.js';
import { commands } from './commands.js';
import { CliOutput } from './output.js';
import { parseSiteOrigin } from './resolve-reference.js';

// The output path is the user's argument here, so an unwritable or existing one is a usage error;
// for `swarmcdn serve` a state file it cannot write is a failure to start (exit 1).
const OUTPUT_CODES: readonly ErrorCode[] = ['OUTPUT_EXISTS', 'OUTPUT_FAILED'];

function duration(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) * 1000 : ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('expected a positive duration such as 30d, 12h, 90m or 3600 (seconds)');
  }
  return value;
}

function isoTime(text: string): Date {
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new InvalidArgumentError('expected an ISO 8601 time');
  return new Date(t);
}

function siteOrigin(text: string): string {
  const origin = parseSiteOrigin(text);
  if (origin === undefined) throw new InvalidArgumentError('expected an http(s) origin such as https://example.com');
  return origin;
}

function buildProgram(out: CliOutput): Command {
  const program = new Command('swarmcdn')
    .description('swarmcdn: signed manifests for a transparent peer-to-peer CDN')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => out.usageError(s) });

  program
    .command('keygen')
    .description('write a new Ed25519 key pair: swarmcdn.key (private, mode 0600) and swarmcdn.pub')
    .requiredOption('--out <dir>', 'directory to write the key pair into')
    .option('--force', 'replace existing key files')
    .option('--json', 'print the result as JSON')
    .action(async (o) => out.setJson(o.json).keygen(await commands.keygen(resolve(o.out), Boolean(o.force))));

  const manifest = program.command('manifest').description('build, sign, verify and compare signed manifests');
  manifest
    .command('build')
    .description('hash every file under <site-dir> and write a signed manifest')
    .argument('<site-dir>', 'the site root (what the origin serves at /)')
    .requiredOption('--key <file>', 'private key (repeat to sign with several keys)', collect)
    .option('--out <file>', 'output file (default: <site-dir>/swarmcdn-manifest.json)')
    .option('--version <n>', 'manifest version (default: the existing output version + 1, or 1)', integer(1))
    .option('--min-version <n>', 'the lowest version to sign (default 1; a server passes the one above what it published)', integer(1))
    .option('--expires <duration>', 'lifetime, e.g. 30d, 12h, 90m', duration, ms('30d'))
    .option('--chunk-size <bytes>', 'chunk size in bytes', integer(1), 262_144)
    .option('--exclude <glob>', 'leave out matching paths (repeatable; a pattern without / matches at any depth)', collect)
    .option('--dotfiles', 'include files and directories whose names start with a dot')
    .option('--no-pages', "leave out `pages` (each HTML page's references to manifest files)")
    .option('--origin <url>', 'the site\'s origin: absolute URLs to it in pages count as the site\'s files', siteOrigin)
    .addOption(new Option('--threads <n>', 'hashing threads (default: every core)').argParser(integer(0)))
    .option('--json', 'print the summary as JSON')
    .action(async (siteDir: string, o) => {
      out.setJson(o.json);
      out.build(
        await commands.build({
          siteDir,
          keyPaths: o.key,
          out: o.out,
          version: o.version,
          minVersion: o.minVersion,
          expiresInMs: o.expires,
          chunkSize: o.chunkSize,
          exclude: o.exclude ?? [],
          dotfiles: Boolean(o.dotfiles),
          pages: o.pages !== false,
          origin: o.origin,
          threads: o.threads,
          progress: out.progress(),
        }),
      );
    });
  manifest
    .command('verify')
    .description('check a signed manifest: signatures, expiry, version; with --dir also every file')
    .argument('<manifest>', 'the signed manifest file')
    .requiredOption('--pub <file>', 'trusted public key (repeatable)', collect)
    .option('--threshold <n>', 'distinct trusted keys that must have signed', integer(1), 1)
    .option('--min-version <n>', 'refuse versions below this (the highest already accepted)', integer(0), 0)
    .option('--now <iso-time>', 'check expiry at this time instead of now', isoTime)
    .option('--dir <site-dir>', 're-hash this tree and report changed, missing and unlisted files')
    .option('--exclude <glob>', 'with --dir: paths that are not expected in the manifest', collect)
    .option('--dotfiles', 'with --dir: dotfiles are expected in the manifest')
    .addOption(new Option('--threads <n>', 'hashing threads (default: every core)').argParser(integer(0)))
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o) => {
      out.setJson(o.json);
      const result = await commands.verify({
        file,
        pubPaths: o.pub,
        threshold: o.threshold,
        minVersion: o.minVersion,
        now: o.now,
        dir: o.dir,
        exclude: o.exclude ?? [],
        dotfiles: Boolean(o.dotfiles),
        threads: o.threads,
      });
      process.exitCode = out.verify(result);
    });
  manifest
    .command('sign')
    .description('add signatures by more keys to a signed manifest (for a threshold of several keys)')
    .argument('<manifest>', 'the signed manifest file, rewritten in place')
    .requiredOption('--key <file>', 'private key (repeatable)', collect)
    .option('--json', 'print the result as JSON')
    .action(async (file: string, o) => out.setJson(o.json).sign(await commands.sign(file, o.key)));
  manifest
    .command('diff')
    .description('list the paths added, removed and changed between two manifests (signatures are not checked)')
    .argument('<old>', 'the older manifest')
    .argument('<new>', 'the newer manifest')
    .option('--json', 'print the result as JSON')
    .action(async (older: string, newer: string, o) => out.setJson(o.json).diff(await commands.diff(older, newer)));
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const out = new CliOutput(process.stdout, process.stderr);
  out.setJson(argv.includes('--json'));
  const program = buildProgram(out);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; they exit 0. Every other parse error is usage (2).
      if (error.exitCode === 0) return 0;
      out.commanderFailure(error.code, error.message);
      return 2;
    }
    if (isSwarmError(error)) {
      out.failure(error.code, error.message);
      return exitCodeFor(error.code, OUTPUT_CODES);
    }
    out.failure('INTERNAL', error instanceof Error ? error.message : String(error));
    if (process.env.SWARMCDN_DEBUG) console.error(error);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`swarmcdn: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
