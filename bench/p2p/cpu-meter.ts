/**
 * CPU time of this bench's own Chromium, by process type, from /proc (Linux only; elsewhere it
 * reads as nothing). On a 2-core box the transfers are CPU-bound, so CPU per byte says where a
 * design's cost goes where wall-clock ratios drown in the noise of a shared machine. Only the
 * process tree launched by this process counts: other jobs' browsers on the box are not ours.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds by process type: browser, renderer, network, gpu, other utility… */
export type CpuByType = Readonly<Record<string, number>>;

/** Linux's USER_HZ: /proc's utime and stime are in these ticks (getconf CLK_TCK: 100 here and almost everywhere). */
const TICKS_PER_SECOND = 100;

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly cpuMs: number;
}

/** pid, ppid and utime+stime of one /proc/<pid>/stat line (the command name may hold spaces and parens). */
function parseStat(pid: number, text: string): ProcInfo | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // Fields after the name: state(3) ppid(4) … utime(14) stime(15).
  const rest = text.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  const ticks = Number(rest[11]) + Number(rest[12]);
  return Number.isFinite(ppid) && Number.isFinite(ticks) ? { pid, ppid, cpuMs: (ticks * 1000) / TICKS_PER_SECOND } : undefined;
}

/** The process type Chromium gives in its command line. */
function typeOf(pid: number): string {
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return 'gone';
  }
  if (cmd.includes('NetworkService')) return 'network';
  return /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser';
}

/** CPU time so far of every process descending from this one whose command is Chromium's. */
export function chromiumCpu(): CpuByType {
  const procs: ProcInfo[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return {};
  }
  for (const name of entries) {
    try {
      const info = parseStat(Number(name), readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (info) procs.push(info);
    } catch {
      // Exited between the listing and the read.
    }
  }
  const ours = new Set<number>([process.pid]);
  // Parents come before children in pid order almost always; repeat until nothing is added.
  for (let added = true; added; ) {
    added = false;
    for (const p of procs) if (!ours.has(p.pid) && ours.has(p.ppid)) added = ours.add(p.pid).size > 0;
  }
  const byType: Record<string, number> = {};
  for (const p of procs) {
    if (p.pid === process.pid || !ours.has(p.pid)) continue;
    const type = typeOf(p.pid);
    if (type === 'gone' || type === 'zygote') continue;
    byType[type] = (byType[type] ?? 0) + p.cpuMs;
  }
  return byType;
}

/** after − before, per type (a process that exited in between counts only what it used before; small here). */
export function cpuDelta(before: CpuByType, after: CpuByType): CpuByType {
  const out: Record<string, number> = {};
  for (const type of new Set([...Object.keys(before), ...Object.keys(after)])) out[type] = Math.max(0, (after[type] ?? 0) - (before[type] ?? 0));
  return out;
}

/** Total CPU ms of a delta. */
export function cpuTotal(delta: CpuByType): number {
  return Object.values(delta).reduce((sum, ms) => sum + ms, 0);
}
