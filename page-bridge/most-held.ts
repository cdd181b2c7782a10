/**
 * The site's most held files, as the tracker's availability pushes say: what the pool keeper asks
 * the tracker about when it needs peers and its own peers have none to name (pool-keeper.ts).
 * Bounded: the MAX_FILES most held are kept.
 */
import type { Sha256Sri } from '../protocol/manifest/types.js';

/** Files with holders remembered (the most held): a rescue needs one. */
const MAX_FILES = 256;

/** Holder counts of the most held files. */
export class MostHeld {
  /** Integrity → holders. */
  readonly #files = new Map<Sha256Sri, number>();

  /** One availability push: `full` replaces what was known, else a change (0 removes). */
  apply(full: boolean, files: Readonly<Record<Sha256Sri, number>>): void {
    if (full) this.#files.clear();
    for (const file in files) {
      const count = files[file as Sha256Sri]!;
      if (count <= 0) this.#files.delete(file as Sha256Sri);
      else if (this.#files.has(file as Sha256Sri) || this.#files.size < MAX_FILES) this.#files.set(file as Sha256Sri, count);
      else this.#replaceLeast(file as Sha256Sri, count);
    }
  }

  /** The most held file (a random one among the equally most held: the tracker sees a spread of questions); undefined when nothing is held. */
  pick(random: () => number = Math.random): Sha256Sri | undefined {
    let best: Sha256Sri[] = [];
    let most = 0;
    for (const [file, count] of this.#files) {
      if (count > most) [best, most] = [[file], count];
      else if (count === most) best.push(file);
    }
    return best[Math.floor(random() * best.length)];
  }

  /** A file held by more peers than the least held one kept takes its place. */
  #replaceLeast(file: Sha256Sri, count: number): void {
    let least: Sha256Sri | undefined;
    for (const [kept, held] of this.#files) if (least === undefined || held < this.#files.get(least)!) least = kept;
    if (least !== undefined && this.#files.get(least)! < count) {
      this.#files.delete(least);
      this.#files.set(file, count);
    }
  }
}
