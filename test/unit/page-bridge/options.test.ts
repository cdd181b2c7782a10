/** startSwarm's options: defaults, normalization, and CONFIG_INVALID naming the bad option; the script tag's data attributes. */
import { describe, expect, it } from '@jest/globals';
import { SWARM_DEFAULTS, resolveSwarmOptions } from '../../../page-bridge/options.js';
import { scriptSettings } from '../../../page-bridge/script-options.js';
import { SW_DEFAULTS } from '../../../protocol/messages/sw-page.js';
import { PAGE, badOption } from './bad-option.js';


describe('resolveSwarmOptions', () => {
  it('fills every default, the server being the page origin, and freezes the result', () => {
    const config = resolveSwarmOptions(undefined, PAGE);
    expect(config).toEqual({
      server: PAGE,
      iceServers: undefined,
      maxPeers: 8,
      minPeers: 2,
      connectTimeoutMs: 3_000,
      cacheBytes: SW_DEFAULTS.cacheBytes,
      stallMs: SW_DEFAULTS.stallMs,
      upload: true,
      maxUploads: SWARM_DEFAULTS.maxUploads,
      uploadBytesPerSecond: undefined,
      region: undefined,
      prefetchBytes: SW_DEFAULTS.prefetchBytes,
      minPeerBytes: SW_DEFAULTS.minPeerBytes,
      hedgeMs: 0,
      rateHedge: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(SWARM_DEFAULTS)).toBe(true);
    expect(resolveSwarmOptions({}, PAGE)).toEqual(config);
  });

  it('takes every option', () => {
    const config = resolveSwarmOptions(
      {
        server: 'http://127.0.0.1:8080/',
        iceServers: [{ urls: 'stun:stun.example:3478' }, { urls: ['turn:t.example'], username: 'u', credential: 'c' }],
        maxPeers: 3,
        connectTimeoutMs: 500,
        cacheBytes: 0,
        stallMs: 50,
        upload: false,
        maxUploads: 2,
        uploadBytesPerSecond: 65_536,
        region: 'eu-west',
      },
      PAGE,
    );
    expect(config).toMatchObject({ server: 'http://127.0.0.1:8080', maxPeers: 3, connectTimeoutMs: 500, cacheBytes: 0, stallMs: 50, upload: false, maxUploads: 2 });
    expect(config.uploadBytesPerSecond).toBe(65_536);
    expect(config.region).toBe('eu-west');
    expect(config.iceServers).toEqual([{ urls: ['stun:stun.example:3478'] }, { urls: ['turn:t.example'], username: 'u', credential: 'c' }]);
    expect(resolveSwarmOptions({ iceServers: [] }, PAGE).iceServers).toEqual([]);
  });

  it('normalizes the server: relative to the page, a path prefix kept, trailing slashes gone', () => {
    expect(resolveSwarmOptions({ server: '/cdn/' }, PAGE).server).toBe('https://site.example/cdn');
    expect(resolveSwarmOptions({ server: 'https://other.example:8443' }, PAGE).server).toBe('https://other.example:8443');
  });

  it('names the bad option', () => {
    expect(badOption('fast')).toBe('options');
    expect(badOption(null)).toBe('options');
    expect(badOption([])).toBe('options');
    expect(badOption({ maxpeers: 3 })).toBe('maxpeers');
    expect(badOption({ server: 'ftp://x.example' })).toBe('server');
    expect(badOption({ server: 'https://x.example/?a=1' })).toBe('server');
    expect(badOption({ server: 'https://u:p@x.example' })).toBe('server');
    expect(badOption({ server: '' })).toBe('server');
    expect(badOption({ server: 42 })).toBe('server');
    expect(badOption({ iceServers: 'stun:x' })).toBe('iceServers');
    expect(badOption({ iceServers: [{}] })).toBe('iceServers[0].urls');
    expect(badOption({ iceServers: [{ urls: 'http://x' }] })).toBe('iceServers[0].urls');
    expect(badOption({ iceServers: [{ urls: [] }] })).toBe('iceServers[0].urls');
    expect(badOption({ iceServers: [{ urls: 'turn:x', username: 5 }] })).toBe('iceServers[0].username');
    expect(badOption({ iceServers: Array.from({ length: 17 }, () => ({ urls: 'stun:x' })) })).toBe('iceServers');
    expect(badOption({ maxPeers: 0 })).toBe('maxPeers');
    expect(badOption({ maxPeers: 2.5 })).toBe('maxPeers');
    expect(badOption({ maxPeers: '8' })).toBe('maxPeers');
    expect(badOption({ connectTimeoutMs: 99 })).toBe('connectTimeoutMs');
    expect(badOption({ cacheBytes: -1 })).toBe('cacheBytes');
    expect(badOption({ stallMs: 49 })).toBe('stallMs');
    expect(badOption({ stallMs: 60_001 })).toBe('stallMs');
    expect(badOption({ prefetchBytes: -1 })).toBe('prefetchBytes');
    expect(badOption({ prefetchBytes: 1.5 })).toBe('prefetchBytes');
    expect(badOption({ upload: 'yes' })).toBe('upload');
    expect(badOption({ maxUploads: 0 })).toBe('maxUploads');
    expect(badOption({ uploadBytesPerSecond: 100 })).toBe('uploadBytesPerSecond');
    expect(badOption({ uploadBytesPerSecond: Infinity })).toBe('uploadBytesPerSecond');
    expect(badOption({ region: 'eu west' })).toBe('region');
    expect(badOption({ region: '' })).toBe('region');
    expect(badOption({ region: 'x'.repeat(65) })).toBe('region');
    expect(badOption({ region: 7 })).toBe('region');
  });

  it('minPeers: 0 up to maxPeers; its default never exceeds maxPeers', () => {
    expect(resolveSwarmOptions({ minPeers: 0 }, PAGE).minPeers).toBe(0);
    expect(resolveSwarmOptions({ minPeers: 5, maxPeers: 5 }, PAGE).minPeers).toBe(5);
    expect(resolveSwarmOptions({ maxPeers: 1 }, PAGE).minPeers).toBe(1);
    expect(badOption({ minPeers: 9 })).toBe('minPeers');
    expect(badOption({ minPeers: 3, maxPeers: 2 })).toBe('minPeers');
    expect(badOption({ minPeers: -1 })).toBe('minPeers');
    expect(badOption({ minPeers: 1.5 })).toBe('minPeers');
    expect(badOption({ minPeers: '2' })).toBe('minPeers');
    expect(resolveSwarmOptions(scriptSettings({ minPeers: '3' }).options, PAGE).minPeers).toBe(3);
    expect(badOption(scriptSettings({ minPeers: 'many' }).options)).toBe('minPeers');
  });

  it('ignores inherited properties (an option must be the caller’s own)', () => {
    const inherited = Object.create({ maxPeers: 0 }) as object;
    expect(resolveSwarmOptions(inherited, PAGE).maxPeers).toBe(8);
  });
});

describe('scriptSettings (the script tag)', () => {
  it('starts by default, with no options', () => {
    expect(scriptSettings({})).toEqual({ manual: false, options: {} });
  });

  it('reads the numeric attributes as numbers, and leaves a non-number for startSwarm to refuse by name', () => {
    const { options } = scriptSettings({ prefetchBytes: '0', uploadBytesPerSecond: '2500000', minPeerBytes: ' 1024 ', hedgeMs: '300' });
    expect(options).toEqual({ prefetchBytes: 0, uploadBytesPerSecond: 2_500_000, minPeerBytes: 1024, hedgeMs: 300 });
    expect(() => resolveSwarmOptions(scriptSettings({ hedgeMs: 'soon' }).options, PAGE)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { option: 'hedgeMs' } }));
    expect(scriptSettings({ rateHedge: 'false' }).options).toEqual({ rateHedge: false });
    expect(scriptSettings({ upload: 'false' }).options).toEqual({ upload: false });
    expect(() => resolveSwarmOptions(scriptSettings({ upload: 'off' }).options, PAGE)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { option: 'upload' } }));
    expect(() => resolveSwarmOptions(scriptSettings({ rateHedge: 'no' }).options, PAGE)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { option: 'rateHedge' } }));
  });

  it('data-manual (any value, even empty) means manual', () => {
    expect(scriptSettings({ manual: '' }).manual).toBe(true);
  });

  it('reads data-server, data-region and data-ice-servers as JSON', () => {
    expect(scriptSettings({ server: 'https://cdn.example', region: 'fra1', iceServers: '[{"urls":"stun:s.example"}]' }).options).toEqual({
      server: 'https://cdn.example',
      region: 'fra1',
      iceServers: [{ urls: 'stun:s.example' }],
    });
  });

  it('data-ice-servers that is not JSON is CONFIG_INVALID naming iceServers', () => {
    expect(() => scriptSettings({ iceServers: '[{urls:' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { option: 'iceServers' } }));
  });
});
