/**
 * A pino destination that prints one readable line per entry for a person at a terminal
 * (`swarmcdn serve` without --json-logs). Per-request entries are left out: an access log belongs
 * in the JSON logs, where a machine reads it.
 */

/** Fields pino and Fastify add to every entry, not worth printing. */
const BASE_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'plugin']);
const LEVELS: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value === 'object' && value !== null && 'message' in value) return JSON.stringify((value as { message: unknown }).message);
  return JSON.stringify(value);
}

/** Turns one pino JSON line into a readable line, or undefined to drop it. */
export function humanLine(json: string): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  if ('req' in entry || 'res' in entry) return undefined;
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toISOString().slice(11, 19);
  const level = LEVELS[Number(entry.level)] ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([k]) => !BASE_FIELDS.has(k))
    .map(([k, v]) => `${k}=${formatValue(v)}`);
  const source = typeof entry.plugin === 'string' ? `[${entry.plugin}] ` : '';
  return `${time} ${level} ${source}${String(entry.msg ?? '')}${fields.length > 0 ? '  ' + fields.join(' ') : ''}`;
}

/** A pino `stream` that writes readable lines to `out`. */
export function humanLogStream(out: NodeJS.WritableStream): { write(line: string): void } {
  return {
    write(line) {
      const text = humanLine(line);
      if (text !== undefined) out.write(text + '\n');
    },
  };
}
