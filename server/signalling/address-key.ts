/**
 * What signalling's per-address limits count by: one IPv4 address, or the /64 of an IPv6 one.
 * Not the tracker's /24 and /48 (server/tracker/network-key.ts, whose parser this reuses): those
 * say who is *near*. For abuse limits a /24 is up to 256 customers of one ISP, whereas one IPv4
 * address is one household, office or NAT; and a /64 is what one IPv6 subscriber or LAN gets
 * (SLAAC needs a /64), so one client can pick any of its 2^64 addresses at will and must count once.
 */
import { isIPv4 } from 'node:net';
import { parseIPv6 } from '../tracker/network-key.js';

/** The key of every address that cannot be read (none should occur over TCP): they share one set of caps. */
export const UNKNOWN_ADDRESS = '?';

/** `v4:a.b.c.d` for an IPv4 address (also when IPv4-mapped), `v6:x:x:x:x` for an IPv6 /64, else UNKNOWN_ADDRESS. */
export function addressKey(address: string | undefined): string {
  if (!address) return UNKNOWN_ADDRESS;
  if (isIPv4(address)) return `v4:${address}`;
  // A zone index (`fe80::1%eth0`) names a local interface, not part of the address.
  const zone = address.indexOf('%');
  const groups = parseIPv6(zone === -1 ? address : address.slice(0, zone));
  if (!groups) return UNKNOWN_ADDRESS;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  // `::ffff:a.b.c.d` is what a dual-stack listener reports for an IPv4 client.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return `v4:${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  }
  return `v6:${g0.toString(16)}:${g1.toString(16)}:${g2.toString(16)}:${g3.toString(16)}`;
}
