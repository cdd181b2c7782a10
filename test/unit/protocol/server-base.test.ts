/**
 * parseServerBase: the one rule for a `server` option, which startSwarm applies in the page and
 * installSwarm in a site's own SW, so both settle on the same base for the same value.
 */
import { describe, expect, it } from '@jest/globals';
import { resolveSwarmOptions } from '../../../page-bridge/options.js';
import { parseServerBase } from '../../../protocol/wire.js';

const SITE = 'https://site.example';

describe('parseServerBase', () => {
  it.each([
    ['a path prefix, relative to the site', '/swarm/', 'https://site.example/swarm'],
    ['another origin', 'http://127.0.0.1:9000', 'http://127.0.0.1:9000'],
    ['another origin with a prefix and trailing slashes', 'https://cdn.example/a/b//', 'https://cdn.example/a/b'],
    ['the site itself', SITE, SITE],
  ])('%s', (_name, value, expected) => {
    expect(parseServerBase(value, SITE)).toBe(expected);
    // The page settles on the same base for the same value.
    expect(resolveSwarmOptions({ server: value }, SITE).server).toBe(expected);
  });

  it.each([
    ['another scheme', 'ftp://x.example'],
    ['a query', 'https://x.example/?a=1'],
    ['a fragment', 'https://x.example/#f'],
    ['credentials', 'https://u:p@x.example'],
    ['no URL at all', 'http://'],
  ])('refuses %s', (_name, value) => {
    expect(parseServerBase(value, SITE)).toBeUndefined();
  });
});
