/**
 * Starts the stock PeerJS server (the `peer` package) the way its README shows, on 127.0.0.1 and an
 * OS-chosen port. Only the connection cap is raised (default 5,000) so it can hold the bench's peers;
 * no `uncaughtException` handler is added, so it keeps the library's behaviour on a bad frame.
 */
import type { AddressInfo } from 'node:net';
import type { ServeSpec } from './serve.js';

/** Resolves to the listening port. */
export async function startStockServer(spec: ServeSpec): Promise<number> {
  const { PeerServer } = await import('peer');
  return new Promise((resolve) => {
    PeerServer({ host: '127.0.0.1', port: 0, path: spec.path, key: spec.key, concurrent_limit: spec.maxConnections }, (server) =>
      resolve((server.address() as AddressInfo).port),
    );
  });
}
