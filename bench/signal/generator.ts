/** A load-generator process (bench/load/signal-peers.ts) and a typed request/reply channel to it. */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { GeneratorCommand, GeneratorReply, GeneratorRequest, GeneratorResults } from '../load/protocol.js';
import { prefixOutput, spawnNode } from '../servers/server-process.js';

// The orchestrator is bundled to dist/bench/signal.js; the generator to dist/bench/load/signal-peers.js.
const ENTRY = join(fileURLToPath(import.meta.url), '..', 'load', 'signal-peers.js');

/** One generator process; requests are answered in any order, each bounded by its own timeout. */
export class Generator {
  private nextReq = 1;
  private readonly pending = new Map<number, (reply: GeneratorReply) => void>();

  // A 32 MiB young generation: the generator's garbage (a parsed frame per message) then dies
  // young instead of being promoted, so its own old-space collections, whose pauses would show
  // as relay latency, stay out of the timed windows; --expose-gc lets the bench collect before
  // each window. The servers run with node's defaults.
  private readonly child: ChildProcess;

  constructor(
    readonly index: number,
    readonly addresses: readonly string[],
    nodeFlags: readonly string[] = [],
  ) {
    this.child = spawnNode([ENTRY], ['--max-semi-space-size=32', '--expose-gc', ...nodeFlags]);
    prefixOutput(this.child, `[load ${index}]`, () => false, []);
    this.child.on('message', (reply: GeneratorReply) => this.pending.get(reply.req)?.(reply));
    this.child.once('exit', (code, signal) => {
      for (const settle of this.pending.values()) settle({ req: 0, ok: false, error: `load generator ${index} exited (${signal ?? code})` });
    });
  }

  /** Sends one command; resolves with its typed result, rejects on an error reply or after `timeoutMs`. */
  request<K extends keyof GeneratorResults>(command: Extract<GeneratorCommand, { op: K }>, timeoutMs: number): Promise<GeneratorResults[K]> {
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle({ req, ok: false, error: `${command.op} timed out after ${timeoutMs} ms` }), timeoutMs);
      const settle = (reply: GeneratorReply): void => {
        clearTimeout(timer);
        this.pending.delete(req);
        if (reply.ok) resolve(reply.result as GeneratorResults[K]);
        else reject(new Error(`load ${this.index}: ${reply.error}`));
      };
      this.pending.set(req, settle);
      const request: GeneratorRequest = { ...command, req };
      this.child.send(request);
    });
  }

  /** Its process id (-1 if it never started). */
  pid(): number {
    return this.child.pid ?? -1;
  }

  /** SIGKILLs it if it still runs. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
