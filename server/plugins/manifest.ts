/**
 * Manifest publishing: `GET /swarmcdn/manifest` answers the current verified envelope. It comes
 * from the manifest file, or, given a signing key, from a build at start-up (and after every
 * change in the site with `watch`). Whenever the file changes it is re-read and verified; a good
 * one becomes current and is announced on `events` ('manifest'), which the tracker pushes to its
 * clients. A refused one (bad signature, rollback, expired) is logged and the last good one stays.
 * The highest version published is kept across restarts (publish-state.ts): a server with the key
 * signs above it, one without refuses anything below it. A site the builder refuses to sign (too
 * large, a path too long) is served from the origin only, with the reason in the log.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { SwarmError, isSwarmError, type ErrorCode, type TrustedKey } from '../../protocol/index.js';
import { ROUTES } from '../../protocol/wire.js';
import type { ManifestUpdate } from '../context.js';
import { ManifestBuilder, type BuildSummary } from '../manifest/manifest-builder.js';
import { watchFile, watchTree, type StopWatching } from '../manifest/file-watch.js';
import { PublishState, publishStateFile } from '../manifest/publish-state.js';
import { PublishedManifest } from '../manifest/published-manifest.js';
import { errorSchema, ifNoneMatch } from '../http-cache.js';
import { countRefusal, type ManifestCounters } from '../metrics/counters.js';

/** The manifest plugin's options: the keys every published envelope must verify with, and where to count (server/metrics/). */
export interface ManifestPluginOptions {
  readonly keys: readonly TrustedKey[];
  readonly counters?: ManifestCounters;
}

/** 50 ms: a rename lands as two or three events; the push must still go out well within a second. */
const MANIFEST_DEBOUNCE_MS = 50;
/** The builder's refusals of the site itself: the verifier would refuse what it signs. Not fatal: the origin still serves. */
const UNPUBLISHABLE: ReadonlySet<unknown> = new Set<ErrorCode>(['MANIFEST_TOO_LARGE', 'MANIFEST_PATH_INVALID', 'MANIFEST_MALFORMED']);

/** True for a path (relative to the site, '/'-separated) whose change cannot alter the manifest. */
function ignoredBySite(relPath: string, manifestRel: string | undefined): boolean {
  // Dotfiles are never listed (and the CLI's temp output is a dotfile); the manifest lists everything but itself.
  return relPath === manifestRel || relPath.split('/').some((segment) => segment.startsWith('.'));
}

/** Publishes the site's signed manifest. */
export const manifestPlugin: FastifyPluginAsync<ManifestPluginOptions> = async (app, { keys, counters }) => {
  const ctx = app.swarmcdn;
  const { siteDir, manifestFile, signingKeyFile, watch, watchDebounceMs } = ctx.options;
  const log = app.log.child({ plugin: 'manifest' });
  const stops: StopWatching[] = [];
  // Only a server with trusted keys publishes, so only it keeps a record (and needs a place for one).
  const state = await PublishState.open(keys.length > 0 ? await publishStateFile(ctx.options) : undefined, siteDir);
  const published = new PublishedManifest(keys, state);
  if (keys.length > 0 && state.file === undefined) {
    log.warn("neither the key's nor the manifest's directory is writable: the highest published version is kept in memory and a restart forgets it (set stateDir)");
  } else if (state.file && signingKeyFile && !ctx.options.stateDir && dirname(state.file) !== dirname(signingKeyFile)) {
    log.warn({ file: state.file }, "the signing key's directory is not writable: the highest published version is kept beside the manifest, where a deploy that replaces the site may remove it (set stateDir)");
  }
  if (state.highest) log.info({ file: state.file, version: state.highest.version }, `published before: up to v${state.highest.version}`);

  const publish = (update: ManifestUpdate): void => {
    ctx.currentManifest = update;
    if (counters) counters.published++;
    log.info({ version: update.version, etag: update.etag }, 'manifest published');
    ctx.events.emit('manifest', update);
  };

  /** Reads and offers the manifest file. At start-up (`strict`) a refusal is fatal; later it is logged. */
  const reload = async (strict: boolean): Promise<void> => {
    let text: string;
    try {
      text = await readFile(manifestFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (strict && code === 'ENOENT') return;
      log.warn({ file: manifestFile, errno: code }, 'manifest file unreadable; still serving the last good one');
      return;
    }
    try {
      const update = await published.offer(text);
      if (update) publish(update);
    } catch (error) {
      if (!isSwarmError(error)) throw error;
      if (strict) throw new SwarmError(error.code, `${manifestFile}: ${error.message}`, { file: manifestFile });
      const serving = published.current?.version;
      if (counters) countRefusal(counters.refusals, error.code);
      log.error({ code: error.code, file: manifestFile, serving }, `manifest refused (${error.code}): ${error.message}; still serving ${serving === undefined ? 'none' : 'v' + serving}`);
    }
  };

  app.addHook('onClose', async () => {
    for (const stop of stops.splice(0)) stop();
  });

  if (keys.length === 0) {
    // Without a trusted key nothing could be verified, and an unverified manifest is never published.
    if (existsSync(manifestFile)) {
      throw new SwarmError('CONFIG_INVALID', `${manifestFile} exists but no trusted key is configured: pass publicKeys (--pub) or signingKeyFile (--key)`);
    }
    log.info('no manifest and no trusted keys: serving the site from the origin only');
  } else {
    const onError = (error: Error): void => void log.error({ err: error }, 'file watch failed');
    const onManifestChange = (): void => void reload(false).catch((error: unknown) => log.error({ err: error }, 'manifest reload failed'));
    stops.push(watchFile(manifestFile, MANIFEST_DEBOUNCE_MS, { onChange: onManifestChange, onError }));
    if (signingKeyFile) {
      const builder = new ManifestBuilder({ siteDir, keyFile: signingKeyFile, out: manifestFile, minVersion: () => published.highestVersion + 1 });
      stops.push(() => builder.close());
      const built = (summary: BuildSummary, when: string): void => {
        log.info({ version: summary.version, files: summary.files, bytes: summary.bytes, ms: Math.round(summary.totalMs) }, `manifest built${when}`);
        for (const warning of summary.warnings) log.warn({ version: summary.version }, `manifest build: ${warning}`);
        const previous = summary.previousVersion;
        if (summary.minVersion > 1 && summary.version === summary.minVersion && (previous ?? 0) + 1 < summary.minVersion) {
          const held = previous === undefined ? 'no readable manifest' : `v${previous}`;
          log.warn(
            { version: summary.version, fileVersion: previous ?? null, highest: summary.minVersion - 1 },
            `the manifest file held ${held}, below v${summary.minVersion - 1} that this server already published: signed v${summary.version} above it`,
          );
        }
      };
      const rebuild = async (): Promise<void> => {
        built(await builder.build(), '');
        await reload(false);
      };
      if (watch) {
        const rel = relative(siteDir, manifestFile);
        const manifestRel = rel.startsWith('..') ? undefined : rel.split(sep).join('/');
        const onChange = (): void =>
          void rebuild().catch((error: unknown) => {
            const code = isSwarmError(error) ? String(error.details?.buildCode ?? error.code) : 'INTERNAL';
            log.error({ code, err: error }, `manifest rebuild failed (${code}): ${(error as Error).message}; still serving the last good one`);
          });
        // Watching starts before the first build, so a change made during it is not missed.
        stops.push(watchTree(siteDir, (p) => ignoredBySite(p, manifestRel), watchDebounceMs, { onChange, onError }));
      }
      try {
        built(await builder.build(), ' at start-up');
      } catch (error) {
        const buildCode = isSwarmError(error) ? error.details?.buildCode : undefined;
        if (!UNPUBLISHABLE.has(buildCode)) throw error;
        // The site cannot be signed as it is; the file on disk (if any) describes an older site, so
        // it is not published either. A later change (with watch) that fixes it is published.
        log.error({ code: buildCode, file: manifestFile }, `manifest not published: ${(error as Error).message}; serving the site from the origin only`);
        return serveManifestRoute(app, published);
      }
    }
    await reload(true);
    if (!published.current) log.warn({ file: manifestFile }, 'no manifest yet; it is published as soon as the file appears');
  }

  serveManifestRoute(app, published);
};

/** `GET /swarmcdn/manifest`: the current envelope, or MANIFEST_UNAVAILABLE; readable from any origin. */
function serveManifestRoute(app: FastifyInstance, published: PublishedManifest): void {
  app.get(ROUTES.manifest, { schema: { response: { '4xx': errorSchema } } }, async (request, reply) => {
    // A site's own SW may fetch this from another origin (installSwarm's `server`): the signed envelope
    // is public and fetched without credentials, so `*`, constant (no Vary: Origin), on 200, 304 and
    // errors alike (set before anything may throw; a 304 must carry it for the browser to reuse its copy).
    reply.header('access-control-allow-origin', '*');
    const current = published.current;
    if (!current) throw new SwarmError('MANIFEST_UNAVAILABLE');
    // no-cache, not no-store: clients keep it and revalidate with the ETag every time.
    reply.header('etag', current.etag).header('cache-control', 'no-cache');
    if (ifNoneMatch(request.headers['if-none-match'], current.etag)) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(current.envelopeJson);
  });
}
