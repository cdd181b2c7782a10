/**
 * The real swarmcdn server (buildServer) on 127.0.0.1:0 serving a fixture site, with test hooks:
 * a log of every HTTP request by visitor (the user agent `swarmcdn-e2e/<name>` names it: every
 * visitor is 127.0.0.1) with its Range and Authorization, and switches that make
 * /swarmcdn/manifest answer a test-provided envelope (a forged or rolled-back one), to everyone or
 * to one visitor only (one that must learn of a new version from its peers, not the server).
 *
 * buildServer registers its routes in encapsulated scopes loaded at `listen`, and an `onRequest`
 * hook added to the root afterwards would not reach them; an `onRoute` hook (added at once and
 * inherited by every scope) prepends ours to each route instead.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { buildServer } from '../../../server/build-server.js';
import type { E2eSite } from './site.js';

/** The user agent prefix a visitor's browser context sends. */
export const VISITOR_UA_PREFIX = 'swarmcdn-e2e/';

/** One request the server received. */
export interface LoggedRequest {
  /** Order of arrival, from 1. */
  readonly seq: number;
  /** The visitor from the user agent, or 'other'. */
  readonly visitor: string;
  readonly method: string;
  /** The URL path, without the query. */
  readonly path: string;
  readonly range: string | undefined;
  readonly authorization: boolean;
}

/** What `RequestLog.count` matches on. */
export interface RequestFilter {
  readonly visitor?: string;
  readonly path?: string | readonly string[];
  /** Only requests after this mark (`RequestLog.mark()`). */
  readonly after?: number;
  readonly method?: string;
}

/** Every request, in order. */
export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  /** The current position: later requests have a greater `seq`. */
  mark(): number {
    return this.entries.length;
  }

  /** Records one request (the server hook calls it). */
  add(entry: Omit<LoggedRequest, 'seq'>): void {
    this.entries.push({ seq: this.entries.length + 1, ...entry });
  }

  /** Requests matching every given field (GETs unless `method` says otherwise). */
  find(filter: RequestFilter): LoggedRequest[] {
    const paths = filter.path === undefined ? undefined : new Set(typeof filter.path === 'string' ? [filter.path] : filter.path);
    return this.entries.filter(
      (e) =>
        e.seq > (filter.after ?? 0) &&
        e.method === (filter.method ?? 'GET') &&
        (filter.visitor === undefined || e.visitor === filter.visitor) &&
        (paths === undefined || paths.has(e.path)),
    );
  }

  /** How many requests match. */
  count(filter: RequestFilter): number {
    return this.find(filter).length;
  }
}

/** A started server and its test hooks. */
export interface E2eServer {
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:<port>`: also the site the tracker groups the visitors by. */
  readonly url: string;
  readonly requests: RequestLog;
  /** Makes /swarmcdn/manifest answer this envelope text (200, a fresh ETag); undefined restores the real one. */
  overrideManifest(envelopeJson: string | undefined): void;
  /** The same for one visitor's requests only (by its user agent); it wins over `overrideManifest`. */
  overrideManifestFor(visitor: string, envelopeJson: string | undefined): void;
  /** The envelope text the server itself publishes now, and its version. */
  published(): { readonly envelopeJson: string; readonly version: number };
  /** Peer ids the tracker lists as holders of a content hash in this site's swarm. */
  holders(hash: string): string[];
  close(): Promise<void>;
}

function visitorOf(userAgent: string | undefined): string {
  return userAgent?.startsWith(VISITOR_UA_PREFIX) ? userAgent.slice(VISITOR_UA_PREFIX.length) : 'other';
}

/** Starts buildServer on the site (the manifest file verified with the site's public key) on a free port. */
export async function startE2eServer(site: E2eSite): Promise<E2eServer> {
  const app = buildServer({ siteDir: site.dir, publicKeys: [await readFile(site.keys.pub, 'utf8')], logger: false });
  const requests = new RequestLog();
  let override: { body: string; etag: string } | undefined;
  const visitorOverrides = new Map<string, { body: string; etag: string }>();
  let overrides = 0;

  const hook = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const path = request.url.split('?')[0] ?? request.url;
    const visitor = visitorOf(request.headers['user-agent']);
    requests.add({
      visitor,
      method: request.method,
      path,
      range: request.headers.range,
      authorization: request.headers.authorization !== undefined,
    });
    const answer = visitorOverrides.get(visitor) ?? override;
    if (answer && path === '/swarmcdn/manifest' && request.method === 'GET') {
      // Always a 200 with a new ETag: a SW that revalidates must get the test's envelope, not a 304.
      return reply.code(200).header('etag', answer.etag).header('cache-control', 'no-cache').type('application/json; charset=utf-8').send(answer.body);
    }
    return undefined;
  };
  app.addHook('onRoute', (route) => {
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [hook as onRequestHookHandler, ...existing];
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the server has no address');
  const url = `http://127.0.0.1:${address.port}`;

  return {
    app,
    url,
    requests,
    overrideManifest(envelopeJson) {
      overrides += 1;
      override = envelopeJson === undefined ? undefined : { body: envelopeJson, etag: `"e2e-override-${overrides}"` };
    },
    overrideManifestFor(visitor, envelopeJson) {
      overrides += 1;
      if (envelopeJson === undefined) visitorOverrides.delete(visitor);
      else visitorOverrides.set(visitor, { body: envelopeJson, etag: `"e2e-override-${overrides}"` });
    },
    published() {
      const current = app.swarmcdn.currentManifest;
      if (!current) throw new Error('the server publishes no manifest');
      return { envelopeJson: current.envelopeJson, version: current.version };
    },
    holders(hash) {
      return [...app.swarmcdn.store.tracker.holders(url, hash)].map((p) => p.peerId);
    },
    close: () => app.close(),
  };
}
