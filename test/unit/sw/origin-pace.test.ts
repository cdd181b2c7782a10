/** The origin's pace from Resource Timing entries: only whole manifest files the network sent count. */
import { describe, expect, it } from '@jest/globals';
import { manifestSize, paceSample, type ResourceEntryLike } from '../../../sw/origin-pace.js';

const ORIGIN = 'http://127.0.0.1:8080';
const FILES = { '/big.wasm': { size: 1_000_000 }, '/a%20b.js': { size: 500_000 } };
const sizeOf = manifestSize(() => FILES);

const entry = (over: Partial<ResourceEntryLike> = {}): ResourceEntryLike => ({
  name: `${ORIGIN}/big.wasm`,
  transferSize: 1_000_300,
  encodedBodySize: 1_000_000,
  decodedBodySize: 1_000_000,
  responseStart: 100,
  responseEnd: 350,
  ...over,
});

describe('paceSample', () => {
  it('samples a whole manifest file from the network: its bytes over the time after its headers', () => {
    expect(paceSample(entry(), ORIGIN, sizeOf)).toEqual({ bytes: 1_000_000, ms: 250 });
    expect(paceSample(entry({ name: `${ORIGIN}/%61%20b.js`, transferSize: 120_300, encodedBodySize: 120_000, decodedBodySize: 500_000 }), ORIGIN, sizeOf)).toEqual({
      bytes: 500_000,
      ms: 250,
    });
  });

  it('skips what says nothing about the origin: the HTTP cache, a body cut short, a Range answer, other files and origins', () => {
    expect(paceSample(entry({ transferSize: 0 }), ORIGIN, sizeOf)).toBeUndefined();
    // A 304: the body is the HTTP cache's, only headers crossed the network.
    expect(paceSample(entry({ transferSize: 310 }), ORIGIN, sizeOf)).toBeUndefined();
    expect(paceSample(entry({ decodedBodySize: 462_655 }), ORIGIN, sizeOf)).toBeUndefined();
    expect(paceSample(entry({ name: `${ORIGIN}/other.js` }), ORIGIN, sizeOf)).toBeUndefined();
    expect(paceSample(entry({ name: `${ORIGIN}/big.wasm?v=2` }), ORIGIN, sizeOf)).toBeUndefined();
    expect(paceSample(entry({ name: 'http://127.0.0.2:8080/big.wasm' }), ORIGIN, sizeOf)).toBeUndefined();
    expect(paceSample(entry({ responseEnd: 100 }), ORIGIN, sizeOf)).toBeUndefined();
    expect(paceSample(entry({ name: 'not a url' }), ORIGIN, sizeOf)).toBeUndefined();
  });

  it('reads the manifest of the moment: none, none sampled', () => {
    expect(paceSample(entry(), ORIGIN, manifestSize(() => undefined))).toBeUndefined();
  });
});
