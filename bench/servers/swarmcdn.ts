/**
 * Starts our server: `buildServer` with the bench's signalling limits, listening on 127.0.0.1 and an
 * OS-chosen port. Everything else (validation, token buckets, id binding) is the default.
 */
import type { AddressInfo } from 'node:net';
import type { ServeSpec } from './serve.js';

/** Resolves to the listening port. */
export async function startSwarmcdnServer(spec: ServeSpec): Promise<number> {
  // Imported here, not at the top, so the stock server's process never loads our plugins.
  const { buildServer } = await import('../../server/build-server.js');
  if (spec.siteDir === undefined) throw new Error('swarmcdn needs a siteDir');
  const app = await buildServer({
    siteDir: spec.siteDir,
    signalling: { path: spec.path, key: spec.key, maxConnections: spec.maxConnections, ...spec.limits },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return (app.server.address() as AddressInfo).port;
}
