/**
 * buildServer(options): a Fastify app with every swarmcdn feature, not yet listening. Tests call it
 * and use `inject()` or `listen({ port: 0 })`; server/main.ts adds flags, signals and listen.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { sendError } from './error-reply.js';
import { resolveOptions, type ServerOptions } from './options.js';
import { swarmcdnPlugin } from './plugin.js';

/**
 * Builds the server. Options are validated here, synchronously (CONFIG_INVALID); what needs the
 * file system (keys, the manifest, the site directory) is checked while the plugins load, so
 * `await app.ready()` (or `listen`) rejects with a coded SwarmError.
 */
export function buildServer(options: ServerOptions): FastifyInstance {
  const resolved = resolveOptions(options);
  const app = Fastify({
    logger: resolved.logger as FastifyServerOptions['logger'],
    // Errors raised before routing (a malformed URL, a bad header) get the same `{ code, message }`.
    frameworkErrors: (error, request, reply) => void sendError(error, request, reply),
    // A request body is never expected beyond small JSON; 1 MiB bounds what a client can make us buffer.
    bodyLimit: 1024 * 1024,
    // No plugin time limit: signing a large site at start-up can take minutes of hashing.
    pluginTimeout: 0,
  });
  app.register(swarmcdnPlugin, resolved);
  return app;
}
