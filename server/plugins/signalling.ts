/**
 * PeerJS-compatible signalling at `options.signalling.path` (default /swarmcdn/peerjs), for the
 * stock `peerjs` 1.5 client given `path: '/swarmcdn/peerjs'`:
 * - `GET {path}/{key}/id` issues a fresh id (text) and records it in the store for idTtlMs, at
 *   most maxUnclaimedIdsPerAddress unclaimed at once per client address (else 429);
 * - `GET {path}/{key}/peers` is always refused (401, as the stock server without discovery);
 * - `GET {path}` describes the server, like the stock server's root;
 * - the WebSocket `{path}/peerjs?key=…&id=…&token=…` is the relay (server/signalling/), and
 *   carries the page's tracker messages too (given a tracker: server/tracker/tracker-service.ts).
 * @fastify/websocket must be registered before this plugin (buildServer does it once for all).
 *
 * Speed and memory: see server/signalling/signalling-hub.ts. One more thing happens here: the
 * error listener @fastify/websocket puts on every socket is a closure over the Fastify request and
 * reply, which keeps both (and the raw HTTP request and response) alive for the socket's whole
 * life. It is swapped for one shared listener, and the upgrade's ServerResponse is detached from
 * the TCP socket, so an idle peer costs only its ws socket and one small object.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
// Types only: brings in the `{ websocket: true }` route overloads; the plugin itself is registered by buildServer.
import type {} from '@fastify/websocket';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { WebSocket } from 'ws';
import { SwarmError } from '../../protocol/errors.js';
import { sendError } from '../error-reply.js';
import { countRefusal, createSignallingCounters, type SignallingCounters } from '../metrics/counters.js';
import { SignallingHub } from '../signalling/signalling-hub.js';
import { addressKey } from '../signalling/address-key.js';
import { networkKey } from '../tracker/network-key.js';
import type { TrackerService } from '../tracker/tracker-service.js';

/** What `GET {path}` answers: the stock server's fields, saying which server this is. */
const DESCRIPTION = Object.freeze({
  name: 'PeerJS Server',
  description: 'swarmcdn signalling: PeerJS-compatible; ids are issued here and bound to their token.',
  website: 'https://peerjs.com/',
});

const ERROR_BODY = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
} as const;

const KEY_PARAMS = {
  type: 'object',
  properties: { key: { type: 'string', maxLength: 64 } },
  required: ['key'],
} as const;

/** The signalling plugin's options: the tracker its sockets carry (none: relay only), and where to count (server/metrics/). */
export interface SignallingPluginOptions {
  readonly tracker?: TrackerService;
  readonly counters?: SignallingCounters;
}

/** Registers the id routes and the relay WebSocket. */
export const signallingPlugin: FastifyPluginAsync<SignallingPluginOptions> = async (app, { tracker, counters = createSignallingCounters() }) => {
  if (!app.hasDecorator('websocketServer')) {
    throw new SwarmError('CONFIG_INVALID', 'register @fastify/websocket before the signalling plugin');
  }
  const ctx = app.swarmcdn;
  const options = ctx.options.signalling;
  const store = ctx.store.signalling;
  const log = app.log.child({ plugin: 'signalling' });
  const wsOptions = (app.websocketServer as { options?: { skipUTF8Validation?: boolean; perMessageDeflate?: unknown } }).options;
  const hub = new SignallingHub({
    options,
    store,
    gauges: ctx.connections,
    log,
    textFramesAreUtf8: wsOptions?.skipUTF8Validation !== true,
    // ws negotiates permessage-deflate only when the server offers it; unknown options count as offering.
    writeFrames: wsOptions !== undefined && (wsOptions.perMessageDeflate === false || wsOptions.perMessageDeflate === undefined),
    ...(tracker === undefined ? {} : { tracker }),
    counters,
  });
  const onSocketError = socketErrorListener(log);

  app.get(options.path, { schema: { response: { 200: { type: 'object', additionalProperties: { type: 'string' } } } } }, async (_req, reply) => {
    return reply.header('access-control-allow-origin', '*').send(DESCRIPTION);
  });

  app.get<{ Params: { key: string } }>(
    `${options.path}/:key/id`,
    { schema: { params: KEY_PARAMS, response: { 200: { type: 'string' }, '4xx': ERROR_BODY } } },
    async (request, reply) => {
      if (request.params.key !== options.key) {
        countRefusal(counters.refusals, 'SIGNAL_KEY_INVALID');
        return sendError(new SwarmError('SIGNAL_KEY_INVALID'), request, reply);
      }
      const id = randomUUID();
      // The stock client reports any status but 200 as a server error and stays off the swarm; the page still loads.
      if (!store.issueId(id, options.idTtlMs, addressKey(request.ip), options.maxUnclaimedIdsPerAddress)) {
        countRefusal(counters.refusals, 'SIGNAL_ADDRESS_IDS');
        reply.header('access-control-allow-origin', '*').header('retry-after', String(Math.ceil(options.idTtlMs / 1000)));
        return sendError(new SwarmError('SIGNAL_ADDRESS_IDS'), request, reply);
      }
      request.log.debug({ id }, 'signalling id issued');
      // Cross-origin pages may use this server (the stock server allows any origin); ids are not secrets.
      return reply
        .header('access-control-allow-origin', '*')
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(id);
    },
  );

  app.get<{ Params: { key: string } }>(
    `${options.path}/:key/peers`,
    { schema: { params: KEY_PARAMS, response: { '4xx': ERROR_BODY } } },
    async (request, reply) => sendError(new SwarmError('SIGNAL_PEERS_HIDDEN'), request, reply),
  );

  // No querystring schema here on purpose: a refused WebSocket must hear why as an ERROR frame
  // the stock client understands, not as an HTTP 400 before the upgrade.
  app.get(`${options.path}/peerjs`, { websocket: true }, (socket: WebSocket, request) => {
    releaseUpgradeRequest(socket, request.raw.socket, onSocketError);
    hub.admit(socket, request.query, networkKey(request.ip), addressKey(request.ip));
  });

  // preClose, not onClose: the HTTP server's close waits for every connection, these sockets too,
  // so they are told (and, past a grace, cut) before it starts waiting.
  app.addHook('preClose', async () => {
    hub.close();
  });
};

/** One error listener for every socket: a reset connection is routine for a signalling server. */
function socketErrorListener(log: FastifyBaseLogger): (this: WebSocket, error: Error) => void {
  return function onSocketError(error) {
    log.debug({ err: error }, 'signalling socket error');
    this.terminate();
  };
}

/**
 * Lets the upgrade's Fastify request and reply be collected while the socket lives on (see the
 * header): the per-socket error closure is replaced by a shared listener, and the ServerResponse
 * that @fastify/websocket attached to the TCP socket for routing is detached.
 */
function releaseUpgradeRequest(socket: WebSocket, tcp: Socket | undefined, onError: (this: WebSocket, error: Error) => void): void {
  socket.removeAllListeners('error');
  socket.on('error', onError);
  const attached = (tcp as (Socket & { _httpMessage?: ServerResponse | null }) | undefined)?._httpMessage;
  if (tcp !== undefined && attached != null && typeof attached.detachSocket === 'function') attached.detachSocket(tcp);
}
