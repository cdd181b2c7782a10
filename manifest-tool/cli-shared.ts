/**
 * What both commands (`swarmcdn …` in cli.ts and `swarmcdn serve` in server/main.ts) parse and print
 * alike: integer flags, repeatable flags, which error codes are usage errors (exit 2) and the one
 * error line. Exported to the server through index.ts.
 */
import { InvalidArgumentError } from 'commander';
import type { ErrorCode } from '../protocol/index.js';

/** A commander argument parser for a decimal integer in [min, max]; other text is a usage error. */
export function integerArg(min: number, max: number = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected an integer ≥ ${min}` : `expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A commander reducer for a repeatable flag (`--key a --key b`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Codes that mean the command was asked for something unusable (bad flags, missing input, a wrong key): exit 2. */
export const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['USAGE', 'INPUT_NOT_FOUND', 'KEY_INVALID', 'CONFIG_INVALID']);

/**
 * The exit code for a failure with this code: 2 for usage (USAGE_CODES and the command's `alsoUsage`),
 * 1 for a failed check, build or start.
 */
export function exitCodeFor(code: ErrorCode, alsoUsage: readonly ErrorCode[] = []): 1 | 2 {
  return USAGE_CODES.has(code) || alsoUsage.includes(code) ? 2 : 1;
}

/** The one line a failed command prints on stderr: its name, the code, the message; never a stack. */
export function failureLine(command: string, code: string, message: string): string {
  return `${command}: error [${code}]: ${message}\n`;
}
