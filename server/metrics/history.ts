/**
 * The dashboard's history: one sample a second of peers online and the cumulative bytes clients
 * reported, the last DASHBOARD_MAX_SAMPLES (ten minutes) kept, so a dashboard opened now draws
 * the recent past at once. Only a server with the dashboard on runs it; its timer never keeps the
 * process alive.
 */
import { DASHBOARD_MAX_SAMPLES, type DashboardSample } from '../../protocol/messages/dashboard.js';

/** What a sample reads from the server, at the sample's time. */
export type SampleSource = () => Omit<DashboardSample, 't'>;

/** A bounded ring of samples. */
export class DashboardHistory {
  readonly #read: SampleSource;
  readonly #intervalMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #samples: DashboardSample[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(read: SampleSource, options: { intervalMs?: number; max?: number; now?: () => number } = {}) {
    this.#read = read;
    // 1 s: what the page polls at; a finer history would only be thrown away by it.
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#max = options.max ?? DASHBOARD_MAX_SAMPLES;
    this.#now = options.now ?? Date.now;
  }

  /** Takes a sample now and then every interval. */
  start(): void {
    if (this.#timer) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Records one sample (the oldest goes past the cap). */
  sample(): void {
    this.#samples.push({ t: this.#now(), ...this.#read() });
    if (this.#samples.length > this.#max) this.#samples.splice(0, this.#samples.length - this.#max);
  }

  /** Samples taken after `t` (ms since the epoch), oldest first. */
  since(t: number): DashboardSample[] {
    const samples = this.#samples;
    // Samples are in time order: walk back from the newest, the usual answer being one or two.
    let first = samples.length;
    while (first > 0 && samples[first - 1]!.t > t) first--;
    return samples.slice(first);
  }
}
