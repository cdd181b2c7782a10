/**
 * The PeerJS options for the page's peer: host, port, TLS and signalling path all derive from the
 * one server base (protocol/wire.ts), so a server under a path prefix or on another origin works.
 * Apart from peer-pool.ts so it can be tested without loading peerjs.
 */
import type { PeerOptions } from 'peerjs';
import { PEERJS_KEY, ROUTES, serverUrl } from '../protocol/wire.js';
import type { SwarmConfig } from './options.js';

/** The PeerJS options for a server base URL: its signalling endpoint under that base. */
export function peerOptions(config: Pick<SwarmConfig, 'server' | 'iceServers'>): PeerOptions {
  const url = new URL(serverUrl(config.server, ROUTES.peerjs));
  const secure = url.protocol === 'https:';
  const options: PeerOptions = {
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    secure,
    path: url.pathname,
    key: PEERJS_KEY,
    debug: 0,
  };
  // Without iceServers, PeerJS keeps its own default configuration (public STUN/TURN).
  if (config.iceServers) options.config = { iceServers: config.iceServers.map((s) => ({ ...s })) };
  return options;
}
