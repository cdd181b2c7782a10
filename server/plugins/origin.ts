/**
 * The origin: the site directory served statically, with byte ranges (206/416), ETag and
 * Last-Modified revalidation (304), Cache-Control (HTML `no-cache`, everything else `max-age`),
 * and compression for text types (never for ranges, small files or media that is already
 * compressed). Registered last: it is the catch-all route.
 *
 * Nothing outside the site is served: @fastify/static refuses `..`, encoded separators and
 * non-canonical paths (403), @fastify/send ignores dotfiles (404: a private key may sit in a
 * dot-directory), and the path guard checks the real path and the identity of every selected
 * file (404 for a symlink out of the tree, the manifest file and a signing key inside it, and any
 * hard link to those).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { worthCompressing } from '../compression.js';
import { sendError } from '../error-reply.js';
import { createPathGuard } from '../origin/path-guard.js';

/** Serves the site directory. */
export const originPlugin: FastifyPluginAsync = async (app) => {
  const { siteDir, manifestFile, signingKeyFile, maxAgeSeconds } = app.swarmcdn.options;
  // The manifest at the site root is hidden even when --manifest points elsewhere: the CLI never
  // lists it, and a stale copy there must not be mistaken for the published one. Hidden by path
  // and by identity: a hard link to the key inside the site is the key.
  const hidden = [manifestFile, join(siteDir, 'swarmcdn-manifest.json'), ...(signingKeyFile ? [signingKeyFile] : [])];
  const guard = await createPathGuard(siteDir, hidden);
  // The normalized path each request asked for, to state the file size in a 416's Content-Range.
  const requested = new WeakMap<FastifyRequest, string>();

  app.setErrorHandler(async (error, request, reply) => {
    const path = requested.get(request);
    if ((error as { statusCode?: unknown }).statusCode === 416 && path !== undefined) {
      // RFC 9110 §14.4: a 416 carries `Content-Range: bytes */<size>`; @fastify/send computes it
      // but hands only the error on. The path already passed the guard in onFile.
      const size = (await stat(join(guard.root, path)).catch(() => undefined))?.size;
      if (size !== undefined) reply.header('content-range', `bytes */${size}`);
    }
    return sendError(error, request, reply);
  });

  await app.register(fastifyStatic, {
    root: guard.root,
    prefix: '/',
    index: ['index.html'],
    redirect: false,
    dotfiles: 'ignore',
    acceptRanges: true,
    etag: true,
    lastModified: true,
    // Our own Cache-Control below: send's would give HTML a max-age too.
    cacheControl: false,
    allowedPath: (pathName, _root, request) => {
      requested.set(request, pathName);
      return true;
    },
    onFile: (path, stats) => guard.check(path, stats),
    setHeaders: (reply, path, stats) => {
      reply.header('cache-control', /\.html?$/i.test(path) ? 'no-cache' : `public, max-age=${maxAgeSeconds}`);
      // @fastify/compress has no size threshold for streams, trusts mime-db's idea of what is
      // compressible and would compress a 304's empty body; its per-request opt-out is this header.
      if (reply.statusCode !== 200 || !worthCompressing(reply.getHeader('content-type'), stats.size)) {
        reply.request.raw.headers['x-no-compression'] = 'swarmcdn';
      }
    },
  });
};
