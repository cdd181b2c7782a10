/**
 * The parent's handle on a bench child process: spawned with its open-file limit raised to the hard
 * limit (a server must hold 19,900 sockets), watched through /proc for memory and CPU time, and
 * killed by pid at the end. A signalling server child also answers `gc` and reports its port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { BufferutilStatus, LoopLag, ServeEvent, ServeRequest, ServeSpec } from './serve.js';

const children = new Set<ChildProcess>();

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * Spawns `node …args` through bash so `ulimit -n` can raise the soft open-file limit to the hard one
 * first; `exec` keeps the pid, so /proc/<pid> is node itself. stdout/stderr are piped to the caller.
 */
export function spawnNode(args: readonly string[], nodeFlags: readonly string[] = []): ChildProcess {
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  const child = spawn('bash', ['-c', script, process.execPath, ...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGKILLs every child still running, by pid; safe to call twice. */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

/** The soft open-file limit of a running process, from /proc/<pid>/limits. */
export function openFileLimit(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s{2,}/)[1] ?? NaN);
}

/** Resident memory in KiB (VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** User + system CPU seconds of the whole process (all threads), from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Read and write syscalls so far (syscr, syscw of /proc/<pid>/io); null where the kernel does not say. */
export function syscallCounts(pid: number): { reads: number; writes: number } | null {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const reads = /^syscr:\s+(\d+)/m.exec(io);
    const writes = /^syscw:\s+(\d+)/m.exec(io);
    return reads && writes ? { reads: Number(reads[1]), writes: Number(writes[1]) } : null;
  } catch {
    return null;
  }
}

/** CPU seconds used so far by the whole machine (all cores) and by this process with its children. */
export interface CpuSnapshot {
  readonly machine: number;
  readonly ours: number;
}

/** Reads /proc/stat and our processes' /proc/<pid>/stat: how busy the box is, and how much of that is us. */
export function cpuSnapshot(): CpuSnapshot {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
  const busy = fields.slice(0, 8).reduce((sum, n, i) => (i === 3 || i === 4 ? sum : sum + n), 0) / CLOCK_TICKS;
  let ours = cpuSeconds(process.pid);
  for (const child of children) {
    try {
      if (child.pid !== undefined) ours += cpuSeconds(child.pid);
    } catch {
      // Exited between the listing and the read.
    }
  }
  return { machine: busy, ours };
}

/** Cores' worth of CPU that other processes on the machine used between two snapshots. */
export function othersCores(before: CpuSnapshot, after: CpuSnapshot, seconds: number): number {
  return Math.max(0, after.machine - before.machine - (after.ours - before.ours)) / seconds;
}

/** Forwards a child's output line by line with a prefix, unless `muted()` says otherwise. */
export function prefixOutput(child: ChildProcess, prefix: string, muted: () => boolean, tail: string[]): void {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.setEncoding('utf8').on('data', (text: string) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (!muted()) process.stderr.write(`${prefix} ${line}\n`);
      }
    });
  }
}

/** A running signalling server in its own process. */
export class ServerProcess {
  /** The last lines it printed, for reporting a crash. */
  readonly tail: string[] = [];
  /** While true its output is kept in `tail` only (a crash the bench provokes on purpose). */
  quiet = false;
  readonly pid: number;
  /** What its ws uses for frame masking, as it reported once listening. */
  bufferutil: BufferutilStatus = 'not loaded';
  private listeningPort = 0;
  private nextReq = 1;

  private constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`${label}: could not spawn`);
    this.pid = child.pid;
    prefixOutput(child, `[${label}]`, () => this.quiet, this.tail);
  }

  /** Spawns `node --expose-gc …nodeFlags <entry> --serve <spec>` and waits for its port (bounded by `timeoutMs`). */
  static async start(label: string, entry: string, spec: ServeSpec, timeoutMs: number, nodeFlags: readonly string[] = []): Promise<ServerProcess> {
    const server = new ServerProcess(label, spawnNode([entry, '--serve', JSON.stringify(spec)], ['--expose-gc', ...nodeFlags]));
    const { child } = server;
    server.listeningPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`not listening after ${timeoutMs} ms`)), timeoutMs);
      const onExit = (code: number | null, signal: string | null): void => fail(new Error(`exited (${signal ?? `code ${code}`}) before listening`));
      const onMessage = (event: ServeEvent): void => {
        if (event.type === 'failed') return fail(new Error(event.error));
        if (event.type !== 'listening') return;
        cleanup();
        server.bufferutil = event.bufferutil;
        resolve(event.port);
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('message', onMessage);
      };
      const fail = (error: Error): void => {
        cleanup();
        server.kill();
        reject(new Error(`${label}: ${error.message}`));
      };
      child.on('exit', onExit);
      child.on('message', onMessage);
    });
    return server;
  }

  /** The port it listens on, on 127.0.0.1. */
  get port(): number {
    return this.listeningPort;
  }

  /** True while the process runs. */
  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How it ended, or null while it runs. */
  exitStatus(): string | null {
    if (this.alive()) return null;
    return this.child.signalCode ?? `exit code ${this.child.exitCode}`;
  }

  rssKiB(): number {
    return rssKiB(this.pid);
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  syscalls(): { reads: number; writes: number } | null {
    return syscallCounts(this.pid);
  }

  /** Two full collections in the server. */
  async gc(): Promise<void> {
    await this.request('gc');
  }

  /** Starts recording the server's event-loop delay. */
  async loopStart(): Promise<void> {
    await this.request('loop-start');
  }

  /** Stops recording; the delay since loopStart(). */
  async loopStop(): Promise<LoopLag | undefined> {
    return (await this.request('loop-stop')).loop;
  }

  /** One IPC round trip, bounded by 10 s. */
  private request(type: ServeRequest['type']): Promise<Extract<ServeEvent, { type: 'done' }>> {
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(new Error(`${this.label}: ${type} timed out`)), 10_000);
      const onMessage = (event: ServeEvent): void => {
        if (event.type === 'done' && event.req === req) settle(event);
      };
      const settle = (outcome: Error | Extract<ServeEvent, { type: 'done' }>): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      this.child.on('message', onMessage);
      const request: ServeRequest = { type, req };
      this.child.send(request);
    });
  }

  kill(): void {
    if (this.alive()) this.child.kill('SIGKILL');
  }
}
