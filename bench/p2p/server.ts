/**
 * The real server, in this process: buildServer over the bench's temp site, signing its manifest
 * with a throwaway Ed25519 key, listening on 127.0.0.1 and an OS-chosen port. It also answers the
 * one question the bench cannot ask a page: has the tracker recorded that a peer holds a file?
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Manifest } from '../../protocol/manifest/types.js';
import { buildServer } from '../../server/build-server.js';

/** A listening server and what the bench reads from it. */
export interface BenchServer {
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:<port>`: also the site name the tracker files peers under. */
  readonly origin: string;
  readonly manifest: Manifest;
  close(): Promise<void>;
}

/** Starts the server; the key and the manifest go in `workDir`, outside the site. */
export async function startBenchServer(siteDir: string, workDir: string): Promise<BenchServer> {
  const { privateKey } = generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const signingKeyFile = join(workDir, 'bench.key');
  writeFileSync(signingKeyFile, privateKey, { mode: 0o600 });
  const app = buildServer({ siteDir, signingKeyFile, manifestFile: join(workDir, 'manifest.json'), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const current = app.swarmcdn.currentManifest;
  if (!current) throw new Error('the server started without a manifest');
  const envelope = JSON.parse(current.envelopeJson) as { payload: string };
  const manifest = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Manifest;
  return { app, origin: `http://127.0.0.1:${port}`, manifest, close: () => app.close() };
}

/** The manifest's integrity value for a URL path. */
export function integrityOf(server: BenchServer, url: string): string {
  const entry = server.manifest.files[url];
  if (!entry) throw new Error(`${url} is not in the manifest`);
  return entry.integrity;
}

/**
 * Waits until the tracker lists `peerId` as a holder of every given file (the bridge announces
 * `have` after the SW has the whole file verified); resolves to the files still missing at the
 * deadline (empty when all are announced).
 */
export async function waitForHolder(server: BenchServer, peerId: string, urls: readonly string[], timeoutMs: number): Promise<string[]> {
  const tracker = server.app.swarmcdn.store.tracker;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = urls.filter((url) => ![...tracker.holders(server.origin, integrityOf(server, url))].some((p) => p.peerId === peerId));
    if (missing.length === 0 || Date.now() > deadline) return missing;
    await sleep(100);
  }
}
