/** What the option tests share: the option a CONFIG_INVALID from resolveSwarmOptions names. */
import { expect } from '@jest/globals';
import { resolveSwarmOptions } from '../../../page-bridge/options.js';

/** The page origin the option tests resolve against. */
export const PAGE = 'https://site.example';

/** The option a CONFIG_INVALID names, or 'no error'. */
export function badOption(input: unknown): unknown {
  try {
    resolveSwarmOptions(input, PAGE);
    return 'no error';
  } catch (error) {
    expect(error).toMatchObject({ name: 'SwarmError', code: 'CONFIG_INVALID' });
    return (error as { details?: { option?: unknown } }).details?.option;
  }
}
