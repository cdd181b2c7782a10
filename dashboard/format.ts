/** Numbers as the dashboard shows them. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Bytes in decimal units with three significant digits: 0 B, 999 B, 1.23 MB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toPrecision(3)} ${UNITS[unit]}`;
}

/** A percentage with one decimal, or a dash when there is nothing to divide. */
export function formatPercent(percent: number | null): string {
  return percent === null ? '–' : `${percent.toFixed(1)} %`;
}
