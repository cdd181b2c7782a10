/**
 * The live dashboard, with the `dashboard` option only: `GET /swarmcdn/dashboard` (the page),
 * its script and stylesheet (the esbuild bundle dist/dashboard/, uPlot inside; no CDN), and
 * `GET /swarmcdn/dashboard/data[?since=<ms>][&site=…]`, which the page polls every second: peers
 * online, bytes by source, the manifest version, the site's ten most held files, and the history
 * samples taken after `since` (server/metrics/history.ts). The site is the request's own origin
 * unless `?site=` names one, as for /swarmcdn/availability.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { SwarmError } from '../../protocol/index.js';
import {
  DASHBOARD_DATA_PATH,
  DASHBOARD_PATH,
  DASHBOARD_SCRIPT_PATH,
  DASHBOARD_STYLE_PATH,
  type DashboardData,
} from '../../protocol/messages/dashboard.js';
import { isTrackerSite } from '../../protocol/messages/tracker.js';
import { errorSchema } from '../http-cache.js';
import { DASHBOARD_HTML } from '../metrics/dashboard-page.js';
import { DashboardHistory } from '../metrics/history.js';
import { TopFiles } from '../metrics/top-files.js';
import { packageRoot } from '../package-root.js';
import type { AvailabilityHub } from '../tracker/availability-hub.js';

/** The dashboard's options: the hub whose holder counts name the top files. */
export interface DashboardPluginOptions {
  readonly availability: AvailabilityHub;
}

/**
 * Only our own script and stylesheet run; uPlot sizes its canvas through element styles (CSSOM,
 * which style-src does not govern); no framing (the page shows operator data).
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The bundle files, by route. */
const BUNDLE = [
  { route: DASHBOARD_SCRIPT_PATH, file: 'dist/dashboard/dashboard.js', type: 'application/javascript; charset=utf-8' },
  { route: DASHBOARD_STYLE_PATH, file: 'dist/dashboard/dashboard.css', type: 'text/css; charset=utf-8' },
] as const;

/** `since` as the query carries it: milliseconds since the epoch. */
const SINCE_RE = /^\d{1,15}$/;

/** Serves the dashboard. */
export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (app, { availability }) => {
  const ctx = app.swarmcdn;
  const history = new DashboardHistory(() => ({ peers: ctx.connections.signalling, ...ctx.bytes }));
  const topFiles = new TopFiles();
  history.start();
  app.addHook('onClose', async () => history.stop());

  const bundle = new Map<string, { body: Buffer; type: string } | undefined>();
  for (const { route, file, type } of BUNDLE) {
    const body = await readFile(join(packageRoot(), file)).catch(() => undefined);
    if (!body) app.log.error({ route }, `${route} is not built: run \`npm run build\``);
    bundle.set(route, body && { body, type });
  }

  app.get(DASHBOARD_PATH, async (_request, reply) => {
    return reply.header('cache-control', 'no-store').header('content-security-policy', CSP).type('text/html; charset=utf-8').send(DASHBOARD_HTML);
  });

  for (const { route } of BUNDLE) {
    app.get(route, { schema: { response: { '5xx': errorSchema } } }, async (_request, reply) => {
      const asset = bundle.get(route);
      if (!asset) throw new SwarmError('ASSET_UNAVAILABLE', `${route} is not built: run \`npm run build\``);
      // no-cache: a few KB, and a deploy's new script must meet the data it was built for.
      return reply.header('cache-control', 'no-cache').type(asset.type).send(asset.body);
    });
  }

  app.get(DASHBOARD_DATA_PATH, { schema: { response: { '4xx': errorSchema } } }, async (request, reply) => {
    const { since, site: asked } = request.query as { since?: unknown; site?: unknown };
    if (since !== undefined && (typeof since !== 'string' || !SINCE_RE.test(since))) throw new SwarmError('REQUEST_INVALID', 'since must be a time in ms');
    if (asked !== undefined && !isTrackerSite(asked)) throw new SwarmError('REQUEST_INVALID', 'site is not a site the tracker accepts');
    const site = asked ?? `${request.protocol}://${request.host}`;
    const counts = ctx.store.tracker.counts();
    const body: DashboardData = {
      now: Date.now(),
      peers: { signalling: ctx.connections.signalling, tracker: ctx.connections.tracker },
      swarms: counts.swarms,
      bytes: { peer: ctx.bytes.peer, cache: ctx.bytes.cache, origin: ctx.bytes.origin },
      manifestVersion: ctx.currentManifest?.version ?? null,
      topFiles: topFiles.top(ctx.currentManifest, availability.view(site).files),
      samples: history.since(since === undefined ? 0 : Number(since)),
    };
    return reply.header('cache-control', 'no-store').send(body);
  });
};
