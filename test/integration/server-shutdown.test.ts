/**
 * A server that shuts down never waits on its clients: every signalling socket (which carries the
 * tracker too) is told to close at once, and one that has not finished the close handshake after
 * a short grace (a busy browser, a client that stopped reading, a dead network
 * path) is cut. Without this, ws waits its own 30 s close timeout per such socket, and a restart
 * under load took more than 15 s (server-restart e2e on the CI box).
 */
import { afterAll, expect, it } from '@jest/globals';
import type { Socket } from 'node:net';
import { signalledSocket } from './server-helpers.js';
import { startServer } from './tracker-helpers.js';

/** The TCP socket under a ws client. */
const silentSocket = (ws: unknown): Socket => (ws as { _socket: Socket })._socket;

const closed: Promise<unknown>[] = [];
afterAll(async () => {
  await Promise.all(closed);
});

it('closes within a few seconds although a client never answers the close handshake; a reading client is closed cleanly', async () => {
  const { app, url } = await startServer({});
  const reader = await signalledSocket(url);
  const silent = await signalledSocket(url);
  // The silent client's TCP socket stops reading: the server's close frame never reaches its WebSocket, so it never answers.
  silentSocket(silent.ws).pause();
  const readerClosed = new Promise<number>((resolve) => reader.ws.once('close', (code) => resolve(code)));

  const started = Date.now();
  const closing = app.close();
  closed.push(closing);
  await closing;
  // ws alone would wait 30 s for the silent client; the bound leaves a loaded machine room.
  expect(Date.now() - started).toBeLessThan(10_000);
  // The reader answered the close handshake (1005: the close frame carried no status); the silent
  // one was cut by the server (the close could not have ended otherwise).
  expect(await readerClosed).toBe(1005);
  silent.ws.terminate();
}, 60_000);
