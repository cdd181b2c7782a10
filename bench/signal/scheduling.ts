/**
 * How the latency windows are scheduled on this shared 2-core machine, applied to the server under
 * test and its load generator alike, for both servers.
 *
 * - `normal`: as started (SCHED_OTHER, nice 0, any core). Both servers' p99 was 7–12 ms here
 *   even with the box otherwise idle, and 10–700 ms while other people's jobs (headless Chromium,
 *   builds) ran: it measures the machine, not the server.
 * - `realtime`: SCHED_FIFO for both processes: the main thread (the event loop) at priority 10,
 *   the generator's pinned to the first core and the server's to the second (taskset), so a message
 *   waits for neither another job nor the other process; every other thread (V8's collector
 *   helpers, libuv's pool) at priority 5 on any core, so an event loop that waits for a helper
 *   does not wait behind other people's jobs, and a helper never delays an event loop. Tried
 *   here: all threads at one priority gave a p99 of 6–8 ms on an idle box (a FIFO thread never
 *   yields its core to one of its own priority); the main thread alone, helpers left normal,
 *   about 1 ms with tails of 5–15 ms under load. Safe at 5,000 msg/s: each process needs a
 *   fraction of a core and sleeps in epoll between messages, and the kernel's real-time throttle
 *   would leave others 5% of each core if one spun. Never used flat out, where it would starve
 *   the machine.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** A scheduling the latency phase can put its processes under. */
export type Scheduling = 'realtime' | 'normal';

/** Real-time priorities (1–99; low ones, above every normal task): event loops, then helper threads. */
const RT_PRIORITY = '10';
const RT_HELPER_PRIORITY = '5';

function run(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 5_000 });
  return result.status === 0;
}

/** True when this process may make others real-time and pin them (root, or CAP_SYS_NICE, and the tools exist). */
export function realtimeAvailable(): boolean {
  return availableParallelism() >= 2 && run('chrt', ['-f', RT_PRIORITY, 'true']) && run('taskset', ['-c', '0', 'true']);
}

/** Role of a process in a latency window: it decides the core it is pinned to under `realtime`. */
export type Role = 'generator' | 'server';

/** Puts `pid` under `scheduling` (its main thread's id is the pid); throws when the tools refuse. */
export function applyScheduling(pid: number, scheduling: Scheduling, role: Role): void {
  const all = `0-${availableParallelism() - 1}`;
  const ok =
    scheduling === 'realtime'
      ? run('chrt', ['-a', '-f', '-p', RT_HELPER_PRIORITY, String(pid)]) &&
        run('chrt', ['-f', '-p', RT_PRIORITY, String(pid)]) &&
        run('taskset', ['-p', '-c', role === 'generator' ? '0' : '1', String(pid)])
      : run('chrt', ['-a', '-o', '-p', '0', String(pid)]) && run('taskset', ['-a', '-p', '-c', all, String(pid)]);
  if (!ok) throw new Error(`could not put pid ${pid} under ${scheduling} scheduling`);
}

/** One line for the report: what `scheduling` meant in this run. */
export function describeScheduling(scheduling: Scheduling): string {
  return scheduling === 'realtime'
    ? `SCHED_FIFO ${RT_PRIORITY} for each process's event loop (load generator's on core 0, server's on core 1), ${RT_HELPER_PRIORITY} for its other threads`
    : 'normal priority, any core';
}
