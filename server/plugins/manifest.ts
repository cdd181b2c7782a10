/**
 * Manifest publishing: `GET /swarmcdn/manifest` answers the current verified envelope. It comes
 * from the manifest file, or, given a signing key, from a build at start-up (and after every
 * change in the site with `watch`). Whenever the file changes it is re-read and verified; a good
 * one becomes current and is announced on `events` ('manifest'), which the tracker pushes to its
 * clients. A refused one (bad signature, rollback, expired) is logged and the last good one stays.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { SwarmError, isSwarmError, type TrustedKey } from '../../protocol/index.js';
import type { ManifestUpdate } from '../context.js';
import { ManifestBuilder } from '../manifest/cli-build.js';
import { watchFile, watchTree, type StopWatching } from '../manifest/file-watch.js';
import { PublishedManifest } from '../manifest/published-manifest.js';
import { errorSchema, ifNoneMatch } from '../http-cache.js';

/** The manifest plugin's options: the keys every published envelope must verify with. */
export interface ManifestPluginOptions {
  readonly keys: readonly TrustedKey[];
}

/** The route the signed envelope is published at. */
export const MANIFEST_ROUTE = '/swarmcdn/manifest';
/** 50 ms: a rename lands as two or three events; the push must still go out well within a second. */
const MANIFEST_DEBOUNCE_MS = 50;

/** True for a path (relative to the site, '/'-separated) whose change cannot alter the manifest. */
function ignoredBySite(relPath: string, manifestRel: string | undefined): boolean {
  // Dotfiles are never listed (and the CLI's temp output is a dotfile); the manifest lists everything but itself.
  return relPath === manifestRel || relPath.split('/').some((segment) => segment.startsWith('.'));
}

/** Publishes the site's signed manifest. */
export const manifestPlugin: FastifyPluginAsync<ManifestPluginOptions> = async (app, { keys }) => {
  const ctx = app.swarmcdn;
  const { siteDir, manifestFile, signingKeyFile, watch, watchDebounceMs } = ctx.options;
  const log = app.log.child({ plugin: 'manifest' });
  const published = new PublishedManifest(keys);
  const stops: StopWatching[] = [];

  const publish = (update: ManifestUpdate): void => {
    ctx.currentManifest = update;
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
      const builder = new ManifestBuilder({ siteDir, keyFile: signingKeyFile, out: manifestFile });
      stops.push(() => builder.close());
      const rebuild = async (): Promise<void> => {
        const summary = await builder.build();
        log.info({ version: summary.version, files: summary.files, bytes: summary.bytes, ms: Math.round(summary.totalMs) }, 'manifest built');
        await reload(false);
      };
      if (watch) {
        const rel = relative(siteDir, manifestFile);
        const manifestRel = rel.startsWith('..') ? undefined : rel.split(sep).join('/');
        const onChange = (): void => void rebuild().catch((error: unknown) => log.error({ err: error }, 'manifest rebuild failed; still serving the last good one'));
        // Watching starts before the first build, so a change made during it is not missed.
        stops.push(watchTree(siteDir, (p) => ignoredBySite(p, manifestRel), watchDebounceMs, { onChange, onError }));
      }
      const summary = await builder.build();
      log.info({ version: summary.version, files: summary.files, bytes: summary.bytes, ms: Math.round(summary.totalMs) }, 'manifest built at start-up');
    }
    await reload(true);
    if (!published.current) log.warn({ file: manifestFile }, 'no manifest yet; it is published as soon as the file appears');
  }

  app.get(MANIFEST_ROUTE, { schema: { response: { '4xx': errorSchema } } }, async (request, reply) => {
    const current = published.current;
    if (!current) throw new SwarmError('MANIFEST_UNAVAILABLE');
    // no-cache, not no-store: clients keep it and revalidate with the ETag every time.
    reply.header('etag', current.etag).header('cache-control', 'no-cache');
    if (ifNoneMatch(request.headers['if-none-match'], current.etag)) return reply.code(304).send();
    return reply.type('application/json; charset=utf-8').send(current.envelopeJson);
  });
};
