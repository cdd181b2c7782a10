/** The HTTP cache is used only for a fresh, whole 200, judged by the response's own headers. */
import { describe, expect, it } from '@jest/globals';
import { fromHttpCache, isFresh } from '../../../sw/http-cache-probe.js';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const headers = (h: Record<string, string>): Headers => new Headers(h);
const dated = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toUTCString();

describe('isFresh', () => {
  it('is fresh while Date + Age is under max-age', () => {
    expect(isFresh(headers({ 'cache-control': 'public, max-age=300', date: dated(10) }), NOW)).toBe(true);
    expect(isFresh(headers({ 'cache-control': 'public, max-age=300', date: dated(301) }), NOW)).toBe(false);
    expect(isFresh(headers({ 'cache-control': 'max-age=300', date: dated(10), age: '295' }), NOW)).toBe(false);
  });

  it('is never fresh without a lifetime, with no-cache or no-store, or without a Date', () => {
    expect(isFresh(headers({ date: dated(1) }), NOW)).toBe(false);
    expect(isFresh(headers({ 'cache-control': 'no-cache, max-age=300', date: dated(1) }), NOW)).toBe(false);
    expect(isFresh(headers({ 'cache-control': 'no-store', date: dated(1) }), NOW)).toBe(false);
    expect(isFresh(headers({ 'cache-control': 'max-age=300' }), NOW)).toBe(false);
    expect(isFresh(headers({ 'cache-control': 'max-age=abc', date: dated(1) }), NOW)).toBe(false);
  });
});

describe('fromHttpCache', () => {
  const fresh = { 'cache-control': 'max-age=300', date: new Date().toUTCString() };

  it('asks only the cache, and returns a fresh 200 of the right length', async () => {
    const seen: Request[] = [];
    const got = await fromHttpCache('https://site.example/a.css', 3, async (r) => {
      seen.push(r);
      return new Response('abc', { headers: { ...fresh, 'content-length': '3' } });
    });
    expect(await got?.text()).toBe('abc');
    expect({ cache: seen[0]!.cache, mode: seen[0]!.mode }).toEqual({ cache: 'only-if-cached', mode: 'same-origin' });
  });

  it('returns nothing for a miss, a stale entry, another length, or a failure', async () => {
    expect(await fromHttpCache('https://site.example/a', 3, async () => new Response(null, { status: 504 }))).toBeUndefined();
    expect(await fromHttpCache('https://site.example/a', 3, async () => new Response('abc', { headers: { 'cache-control': 'max-age=1', date: new Date(Date.now() - 60_000).toUTCString() } }))).toBeUndefined();
    expect(await fromHttpCache('https://site.example/a', 3, async () => new Response('abcd', { headers: { ...fresh, 'content-length': '4' } }))).toBeUndefined();
    expect(await fromHttpCache('https://site.example/a', 3, async () => Promise.reject(new TypeError('failed')))).toBeUndefined();
  });
});
