/**
 * The shape every bench reports and the helpers to print it. A bench prints its own table for a
 * human, then one line `RESULT {json}` that scripts/bench.mjs collects into a combined summary.
 */

/** One measured method. `ratio` is higher-is-better against the bench's baseline row. */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** null on the baseline itself. */
  readonly ratio: number | null;
  /** The least ratio that passes; null when the row has no target. */
  readonly target: number | null;
  /** null when there is no target. */
  readonly pass: boolean | null;
}

/** What one bench reports: its rows, plus free-form details (sizes, samples, machine). */
export interface BenchResult {
  readonly bench: string;
  readonly rows: readonly BenchRow[];
  readonly info?: Readonly<Record<string, unknown>>;
}

/** The prefix scripts/bench.mjs looks for at the start of a stdout line. */
export const RESULT_PREFIX = 'RESULT ';

/** Prints the machine-readable line; call it once, last. */
export function printResult(result: BenchResult): void {
  process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + '\n');
}

/** The median; with an even count, the mean of the middle two. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Renders rows of cells as a plain-text table: first column left-aligned, the rest right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `1.23×`, or `—` for no value. */
export function formatRatio(ratio: number | null): string {
  return ratio === null ? '—' : `${ratio.toFixed(2)}×`;
}

/** `≥ 0.90× PASS`, `≥ 1.60× MISS`, or `—` for a row with no target. */
export function formatVerdict(row: Pick<BenchRow, 'target' | 'pass'>): [string, string] {
  if (row.target === null) return ['—', ''];
  return [`≥ ${row.target.toFixed(2)}×`, row.pass ? 'PASS' : 'MISS'];
}
