/**
 * `swarmcdn serve <site-dir>`: parses flags, builds the server, listens, and shuts down cleanly on
 * SIGINT/SIGTERM. bin/swarmcdn.js loads this bundle (dist/server/main.js) for `serve`.
 * Exit codes: 2 for bad flags, a missing directory, an unreadable or wrong key; 1 when the server
 * cannot start (port taken, manifest refused or unbuildable); 0 after a clean shutdown.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { FastifyInstance } from 'fastify';
import { collect, exitCodeFor, failureLine, integerArg as integer } from '../manifest-tool/index.js';
import { SwarmError, isSwarmError, type ErrorCode } from '../protocol/index.js';
import { buildServer } from './build-server.js';
import { humanLogStream } from './human-log.js';

/** Flags as commander hands them over. */
interface ServeFlags {
  port: number;
  host: string;
  key?: string;
  manifest?: string;
  pub?: string[];
  watch?: boolean;
  maxAge?: number;
  stateDir?: string;
  metrics?: boolean;
  dashboard?: boolean;
  jsonLogs?: boolean;
}

/** 10 s: long enough for sockets to close politely, short enough that a stuck close still exits. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
/**
 * 3 s: then connections still busy are cut. A client that stops reading a response keeps its
 * connection "active" for ever (Fastify closes only idle ones), and must not hold up a shutdown.
 */
const SHUTDOWN_GRACE_MS = 3_000;

function parse(argv: readonly string[]): { siteDir: string; flags: ServeFlags } | number {
  let parsed: { siteDir: string; flags: ServeFlags } | undefined;
  const program = new Command('swarmcdn serve')
    .description('serve a site with swarmcdn: origin, signed manifest, service worker, signalling and tracker')
    .argument('<site-dir>', 'the site root, served at /')
    .option('--port <n>', 'TCP port (0 picks a free one)', integer(0, 65535), 8080)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--key <file>', 'private key: build and sign the manifest at start-up')
    .option('--manifest <file>', 'the signed manifest file (default: <site-dir>/swarmcdn-manifest.json)')
    .option('--pub <file>', 'trusted public key (repeatable; default: the public half of --key)', collect)
    .option('--watch', 'rebuild the manifest when the site changes (needs --key)')
    .option('--max-age <seconds>', 'Cache-Control max-age of site files other than HTML', integer(0, 31_536_000))
    .option('--state-dir <dir>', 'where the highest published manifest version is recorded (default: the key\'s directory, else the manifest\'s)')
    .option('--metrics', 'serve Prometheus metrics at /swarmcdn/metrics (operator data: off unless asked)')
    .option('--dashboard', 'serve the live dashboard at /swarmcdn/dashboard (operator data: off unless asked)')
    .option('--json-logs', 'log JSON lines (with every request) instead of readable lines')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .action((siteDir: string, flags: ServeFlags) => void (parsed = { siteDir, flags }));
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return 0; // --help
    // One line: commander adds a "Did you mean …?" line of its own.
    return fail('USAGE', error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
  }
  return parsed ?? fail('USAGE', 'missing <site-dir>');
}

function fail(code: ErrorCode, message: string): number {
  process.stderr.write(failureLine('swarmcdn serve', code, message));
  if (process.env.SWARMCDN_DEBUG === '1') process.stderr.write(`${new Error().stack}\n`);
  return exitCodeFor(code);
}

async function readPublicKeys(paths: readonly string[]): Promise<string[]> {
  return Promise.all(
    paths.map((p) =>
      readFile(p, 'utf8').catch(() => {
        throw new SwarmError('INPUT_NOT_FOUND', `cannot read public key ${p}`);
      }),
    ),
  );
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
}

/** Closes the app on the first SIGINT/SIGTERM; a second signal, or a stuck close, exits at once. */
function shutDownOnSignals(app: FastifyInstance): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) process.exit(1);
    closing = true;
    app.log.info(`${signal}: shutting down`);
    setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS).unref();
    setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Runs `serve`; resolves to an exit code on failure, or undefined once the server listens. */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  const parsed = parse(argv);
  if (typeof parsed === 'number') return parsed;
  const { siteDir, flags } = parsed;
  if (flags.watch && !flags.key) return fail('USAGE', '--watch needs --key: only a server that signs can rebuild the manifest');
  try {
    if (!(await stat(siteDir).catch(() => undefined))?.isDirectory()) {
      throw new SwarmError('INPUT_NOT_FOUND', `site directory not found or not a directory: ${siteDir}`);
    }
    const app = buildServer({
      siteDir: resolve(siteDir),
      signingKeyFile: flags.key,
      manifestFile: flags.manifest,
      publicKeys: flags.pub ? await readPublicKeys(flags.pub) : undefined,
      watch: flags.watch,
      maxAgeSeconds: flags.maxAge,
      ...(flags.stateDir === undefined ? {} : { stateDir: resolve(flags.stateDir) }),
      metrics: Boolean(flags.metrics),
      dashboard: Boolean(flags.dashboard),
      logger: flags.jsonLogs ? { level: 'info' } : { level: 'info', stream: humanLogStream(process.stderr) },
    });
    await app.listen({ port: flags.port, host: flags.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : flags.port;
    process.stdout.write(`swarmcdn: serving ${resolve(siteDir)} at ${urlOf(flags.host, port)}\n`);
    if (flags.dashboard) process.stdout.write(`swarmcdn: live dashboard at ${urlOf(flags.host, port)}swarmcdn/dashboard\n`);
    shutDownOnSignals(app);
    return undefined;
  } catch (error) {
    if (isSwarmError(error)) return fail(error.code, error.message);
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno === 'EADDRINUSE' || errno === 'EACCES' || errno === 'EADDRNOTAVAIL') {
      return fail('CONFIG_INVALID', `cannot listen on ${urlOf(flags.host, flags.port)}: ${errno}`);
    }
    return fail('INTERNAL', error instanceof Error ? error.message : String(error));
  }
}

// `swarmcdn serve …` arrives with 'serve' as argv[2]; `node dist/server/main.js <dir>` without it.
const args = process.argv[2] === 'serve' ? process.argv.slice(3) : process.argv.slice(2);
const code = await main(args);
if (code !== undefined) process.exit(code);
