/** The key signalling's per-address caps count by: one IPv4 address, one IPv6 /64. */
import { describe, expect, it } from '@jest/globals';
import { UNKNOWN_ADDRESS, addressKey } from '../../../server/signalling/address-key.js';

describe('addressKey', () => {
  it('keys an IPv4 address by itself, also when IPv4-mapped', () => {
    expect(addressKey('127.0.0.1')).toBe('v4:127.0.0.1');
    expect(addressKey('127.0.0.2')).not.toBe(addressKey('127.0.0.1')); // not the tracker's /24
    expect(addressKey('::ffff:203.0.113.7')).toBe('v4:203.0.113.7');
    expect(addressKey('::ffff:cb00:7107')).toBe('v4:203.0.113.7');
  });

  it('keys an IPv6 address by its /64, whatever its spelling and zone', () => {
    const key = addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(key).toBe('v6:2001:db8:1:2');
    expect(addressKey('2001:0db8:0001:0002::1')).toBe(key);
    expect(addressKey('2001:DB8:1:2::1%eth0')).toBe(key);
    expect(addressKey('2001:db8:1:3::1')).not.toBe(key); // the next /64
    expect(addressKey('::1')).toBe('v6:0:0:0:0');
  });

  it('gives every unreadable address one shared key', () => {
    for (const bad of [undefined, '', 'localhost', '1.2.3', '256.1.1.1', '1:2:3', 'fe80::1::2']) expect(addressKey(bad)).toBe(UNKNOWN_ADDRESS);
  });
});
