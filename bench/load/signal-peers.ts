/**
 * The load generator of `npm run bench:signal`: simulated PeerJS peers as plain WebSocket clients
 * (peers.ts), driven over IPC by bench/signal.ts (protocol.ts) through the workloads: flood.ts
 * (flat out), fixed-rate.ts (latency at a set rate), one-frame.ts (a malformed frame).
 *
 * One process holds at most a few thousand sockets (this machine caps a process at 20,000 open
 * files) and spreads them over the loopback source addresses it is given. Every operation is
 * bounded in count and in time; the process exits when its parent goes away.
 */
import { rate } from './fixed-rate.js';
import { flood } from './flood.js';
import { frame } from './one-frame.js';
import { close, describe, held, open, startHeartbeats } from './peers.js';
import type { GeneratorCommand, GeneratorReply, GeneratorRequest } from './protocol.js';

const gc = (globalThis as { gc?: () => void }).gc;

async function run(command: GeneratorCommand): Promise<unknown> {
  switch (command.op) {
    case 'open':
      return open(command);
    case 'held':
      return held(command.group);
    case 'close':
      return close(command);
    case 'flood':
      return flood(command);
    case 'rate':
      return rate(command);
    case 'frame':
      return frame(command);
    case 'gc':
      // Twice: the first pass can leave garbage that only a second full collection frees.
      gc?.();
      gc?.();
      return { collected: gc !== undefined };
  }
}

function reply(message: GeneratorReply): void {
  process.send?.(message);
}

if (process.send === undefined) {
  process.stderr.write('signal-peers: run me from bench/signal.ts (needs an IPC channel)\n');
  process.exit(2);
}
startHeartbeats();
process.on('message', (request: GeneratorRequest) => {
  run(request).then(
    (result) => reply({ req: request.req, ok: true, result }),
    (error: unknown) => reply({ req: request.req, ok: false, error: describe(error) }),
  );
});
// The orchestrator owns this process: when it goes, so do we (and every socket with us).
process.on('disconnect', () => process.exit(0));
