import { describe, expect, it } from '@jest/globals';
import { UNKNOWN_NETWORK, networkKey, parseIPv6 } from '../../../server/tracker/network-key.js';

describe('networkKey', () => {
  it('keys IPv4 by its /24', () => {
    expect(networkKey('192.0.2.17')).toBe('v4:192.0.2');
    expect(networkKey('192.0.2.250')).toBe(networkKey('192.0.2.1'));
    expect(networkKey('192.0.3.1')).not.toBe(networkKey('192.0.2.1'));
    expect(networkKey('127.0.0.1')).toBe(networkKey('127.0.0.2'));
  });

  it('keys an IPv4-mapped IPv6 address as the IPv4 address it is, dotted or hex', () => {
    expect(networkKey('::ffff:192.0.2.17')).toBe('v4:192.0.2');
    expect(networkKey('::FFFF:c000:0211')).toBe('v4:192.0.2');
    expect(networkKey('0:0:0:0:0:ffff:192.0.2.99')).toBe('v4:192.0.2');
    expect(networkKey('::ffff:127.0.0.1')).toBe(networkKey('127.0.0.2'));
  });

  it('keys IPv6 by its /48, whatever the spelling', () => {
    expect(networkKey('2001:db8:1:2::1')).toBe('v6:2001:db8:1');
    expect(networkKey('2001:0DB8:0001:ffff:0:0:0:9')).toBe('v6:2001:db8:1');
    expect(networkKey('2001:db8:2::1')).not.toBe(networkKey('2001:db8:1::1'));
    expect(networkKey('2001:db8::1')).toBe('v6:2001:db8:0');
    expect(networkKey('fe80::1%eth0')).toBe('v6:fe80:0:0');
    expect(networkKey('::1')).toBe('v6:0:0:0');
  });

  it('does not mistake IPv4-compatible or other ::/80 addresses for mapped ones', () => {
    expect(networkKey('::192.0.2.1')).toBe('v6:0:0:0');
    expect(networkKey('::fffe:192.0.2.1')).toBe('v6:0:0:0');
  });

  it('answers UNKNOWN_NETWORK for anything it cannot read', () => {
    for (const bad of [undefined, '', 'localhost', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1::2::3', '12345::1', '1:2:3:4:5:6:7:8:9', 'g::1', ':::', '::ffff:1.2.3.999', '1.2.3.4::']) {
      expect(networkKey(bad)).toBe(UNKNOWN_NETWORK);
    }
  });

  it('parses IPv6 into eight groups, `::` standing for at least one zero group', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('1::8')).toEqual([1, 0, 0, 0, 0, 0, 0, 8]);
    expect(parseIPv6('1:2:3:4:5:6:7::')).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
    expect(parseIPv6('1:2:3:4::5:6:7:8')).toBeUndefined();
    expect(parseIPv6('1:2:3:4:5:6:7')).toBeUndefined();
    expect(parseIPv6('1.2.3.4:1::')).toBeUndefined();
  });
});
