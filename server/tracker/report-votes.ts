/**
 * When reports of bad bytes quarantine a peer. A report is a client's word, so it only counts as
 * a vote when the server can back part of it: the reporter and the accused negotiated a connection
 * through this server recently (recent-partners.ts), the reporter has been in the swarm long enough
 * (session.ts holds a young reporter's report until then), and it is not quarantined itself. Votes
 * are per reporter *network* (network-key.ts), so any number of sockets from one address or /24
 * count once; they are per site; and each vote's weight halves every half-life, so old grudges fade.
 */
import type { TrackerOptions } from '../options.js';
import type { PeerRecord, TrackerStore } from '../store/store.js';

/** Votes lighter than this (four half-lives) are forgotten. */
const FORGET_AFTER_HALF_LIVES = 4;

/** The weight of votes cast at `times`, at `now`: each halves every `halfLifeMs`. */
export function voteWeight(times: Iterable<number>, now: number, halfLifeMs: number): number {
  let weight = 0;
  // A vote "from the future" (a clock step) weighs 1, never more.
  for (const at of times) weight += 2 ** (-Math.max(0, now - at) / halfLifeMs);
  return weight;
}

/** Votes cast before this time are forgotten at `now`. */
export function forgetVotesBefore(now: number, halfLifeMs: number): number {
  return now - FORGET_AFTER_HALF_LIVES * halfLifeMs;
}

/**
 * True when votes of this weight quarantine: `threshold` fresh votes do, and so do that many
 * spread over a few minutes (the ½ of slack: with a 10-minute half-life, three votes cast within
 * about four minutes of each other).
 */
export function quarantines(weight: number, threshold: number): boolean {
  return weight >= threshold - 0.5;
}

/** Reports a young reporter may have waiting for its minimum age (a page drops a handful of bad peers, not dozens). */
const MAX_PENDING_REPORTS = 8;

/** What a reporter's desk needs. */
export interface ReportDeskDeps {
  readonly store: Pick<TrackerStore, 'getPeer' | 'report' | 'quarantine' | 'isQuarantined'>;
  readonly options: Pick<TrackerOptions, 'quarantineReports' | 'reportMinAgeMs' | 'reportHalfLifeMs'>;
  readonly now: () => number;
}

/**
 * One joined peer's reports, already checked by its session (a peer of its swarm, that it paired
 * with). A report counts as a vote once the reporter has been joined reportMinAgeMs; before that
 * it waits (at most 8 of them) and counts then, if the reporter is still here and not quarantined.
 */
export class ReportDesk {
  readonly #pending = new Set<string>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deps: ReportDeskDeps,
    private readonly reporter: PeerRecord,
    private readonly joinedAt: number,
  ) {}

  /** The reporter says `accused` served bad bytes. */
  report(accused: string): void {
    const now = this.deps.now();
    const due = this.joinedAt + this.deps.options.reportMinAgeMs;
    if (now >= due) return this.#vote(accused, now);
    if (this.#pending.size >= MAX_PENDING_REPORTS) return;
    this.#pending.add(accused);
    this.#timer ??= setTimeout(() => this.#due(), due - now);
    // A pending report never keeps the process alive.
    this.#timer.unref?.();
  }

  /** The reporter left: what waits is dropped. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  #due(): void {
    this.#timer = undefined;
    const pending = [...this.#pending];
    this.#pending.clear();
    const { store } = this.deps;
    for (const accused of pending) if (store.getPeer(this.reporter.site, accused)) this.#vote(accused, this.deps.now());
  }

  /** One vote per reporter network; the accused is quarantined in this site when the decayed votes reach the threshold. */
  #vote(accused: string, now: number): void {
    const { store, options } = this.deps;
    const { site, peerId, networkKey } = this.reporter;
    // A reporter quarantined meanwhile has no word; an accused already quarantined needs no more votes.
    if (store.isQuarantined(site, peerId) || store.isQuarantined(site, accused)) return;
    const times = store.report(site, accused, networkKey, now, forgetVotesBefore(now, options.reportHalfLifeMs));
    if (quarantines(voteWeight(times, now, options.reportHalfLifeMs), options.quarantineReports)) store.quarantine(site, accused);
  }
}
