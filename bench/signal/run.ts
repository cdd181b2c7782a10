/**
 * What every bench:signal phase shares: the knobs, the long-lived load generators, the server
 * processes (a fresh pair per phase) and the record of what failed.
 */
import { fileURLToPath } from 'node:url';
import type { Target } from '../load/protocol.js';
import type { ServeSpec } from '../servers/serve.js';
import { ServerProcess } from '../servers/server-process.js';
import { ADDRESSES, ADDRESS_LIMITS, KEY, MAX_PEERS, PATH, PEERS_PER_GENERATOR, type Config } from './config.js';
import { Generator } from './generator.js';
import { log } from './stats.js';

// The orchestrator's own bundle is also the server child: `signal.js --serve <spec>`.
const SELF = fileURLToPath(import.meta.url);

/** A stock server and ours (null when ours could not start), each in its own process. */
export interface ServerPair {
  readonly stock: ServerProcess;
  readonly ours: ServerProcess | null;
}

/** The servers of a pair that are running, stock first. */
export const serversOf = (pair: ServerPair): ServerProcess[] => (pair.ours === null ? [pair.stock] : [pair.stock, pair.ours]);

/** Kills both servers of a pair. */
export function stopPair(pair: ServerPair): void {
  for (const server of serversOf(pair)) server.kill();
}

/**
 * Our server's signalling overrides: a phase's rate limits (ServeSpec's `limits`) and the
 * per-address caps, which bench/servers/swarmcdn.ts spreads into buildServer's options with them.
 */
type OursLimits = Partial<NonNullable<ServeSpec['limits']>> & typeof ADDRESS_LIMITS;

/** Where a generator finds `server`. The stock client appends '/' to `path` and builds `${path}${key}/id` and `${path}peerjs?…`. */
export function targetOf(server: ServerProcess): Target {
  return { port: server.port, path: `${PATH}/`, key: KEY };
}

/** Generator `i`'s part of `count` peers split over `n` generators. */
export function share(count: number, n: number, i: number): number {
  return Math.floor(count / n) + (i < count % n ? 1 : 0);
}

/** One bench run. */
export class Run {
  readonly errors: string[] = [];
  /** What each server's ws uses for frame masking, as reported by the first of its processes. */
  readonly bufferutil = new Map<string, string>();
  readonly generators: readonly Generator[];
  private readonly stockSpec: ServeSpec;
  private readonly oursSpec: ServeSpec;
  private nextGenerator: number;

  constructor(
    readonly config: Config,
    siteDir: string,
  ) {
    const common = { path: PATH, key: KEY, maxConnections: MAX_PEERS + 100 } as const;
    this.stockSpec = { kind: 'stock', ...common };
    this.oursSpec = { kind: 'swarmcdn', ...common, siteDir };
    // At least two; at most one per source address.
    const count = Math.min(ADDRESSES.length, Math.max(2, Math.ceil(config.peers / PEERS_PER_GENERATOR)));
    this.generators = Array.from({ length: count }, (_, g) => new Generator(g, ADDRESSES.filter((_, i) => i % count === g)));
    this.nextGenerator = count;
  }

  /** A fresh generator of the phase's own (the caller kills it), sending from `address`. */
  spawnGenerator(address: string, nodeFlags: readonly string[] = []): Generator {
    return new Generator(this.nextGenerator++, [address], nodeFlags);
  }

  /** Runs a measurement; a failure is recorded, not fatal, so the rest still runs and prints. */
  async attempt<T>(what: string, run: () => Promise<T>): Promise<T | null> {
    try {
      return await run();
    } catch (error) {
      const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
      this.errors.push(message);
      log(message);
      return null;
    }
  }

  /** A stock server process. */
  startStock(nodeFlags: readonly string[] = []): Promise<ServerProcess> {
    return ServerProcess.start('stock', SELF, this.stockSpec, 15_000, nodeFlags);
  }

  /**
   * A fresh pair of server processes per phase, so no phase inherits another's heap or clean-up
   * (our server releases 19,900 ids a grace period after phase 1's peers leave).
   */
  async startPair(phase: string, limits?: ServeSpec['limits'], nodeFlags: readonly string[] = []): Promise<ServerPair> {
    const oursLimits: OursLimits = { ...ADDRESS_LIMITS, ...limits };
    // Rates left out keep our defaults: swarmcdn.ts spreads `limits` over them.
    const spec = { ...this.oursSpec, limits: oursLimits } as ServeSpec;
    const [stock, ours] = await Promise.all([
      this.startStock(nodeFlags),
      this.attempt(`swarmcdn start (${phase})`, () => ServerProcess.start('swarmcdn', SELF, spec, 15_000, nodeFlags)),
    ]);
    for (const server of [stock, ours]) if (server !== null && !this.bufferutil.has(server.label)) this.bufferutil.set(server.label, server.bufferutil);
    return { stock, ours };
  }
}
