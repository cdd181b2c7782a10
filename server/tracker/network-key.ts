/**
 * "Same network" for the tracker: the /24 of an IPv4 address, the /48 of an IPv6 one. A /24 is the
 * smallest block an ISP routes or a campus NATs as one; a /48 is what RIRs assign to one site
 * (RFC 6177), so two peers in it are almost surely one organisation or one customer.
 */

/** The key of an address the tracker cannot read: never equal to any peer's key, never "near". */
export const UNKNOWN_NETWORK = '';

const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET_RE = /^[0-9a-fA-F]{1,4}$/;

/** The four octets of a dotted IPv4 address, or undefined. */
function parseIPv4(address: string): [number, number, number, number] | undefined {
  const m = IPV4_RE.exec(address);
  if (!m) return undefined;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as const;
  return octets.every((o) => o <= 255) ? [...octets] : undefined;
}

/** The eight 16-bit groups of an IPv6 address (with `::` and a dotted IPv4 tail), or undefined. */
export function parseIPv6(address: string): number[] | undefined {
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined, endsAddress: boolean): number[] | undefined => {
    if (part === undefined || part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      // A dotted IPv4 tail (`::ffff:1.2.3.4`) is only allowed as the address's last piece.
      const v4 = endsAddress && i === pieces.length - 1 ? parseIPv4(piece) : undefined;
      if (v4) out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      else if (HEXTET_RE.test(piece)) out.push(parseInt(piece, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0], halves.length === 1);
  const tail = groups(halves[1], true);
  if (!head || !tail) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  // `::` stands for at least one zero group.
  const zeros = 8 - head.length - tail.length;
  return zeros >= 1 ? [...head, ...new Array<number>(zeros).fill(0), ...tail] : undefined;
}

function ipv4Key(a: number, b: number, c: number): string {
  return `v4:${a}.${b}.${c}`;
}

/**
 * The network key of a socket's remote address: `v4:a.b.c` for the /24, `v6:x:y:z` for the /48.
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack listener reports for an IPv4
 * client) is keyed as the IPv4 address it is. Anything unreadable is UNKNOWN_NETWORK.
 */
export function networkKey(address: string | undefined): string {
  if (!address) return UNKNOWN_NETWORK;
  const v4 = parseIPv4(address);
  if (v4) return ipv4Key(v4[0], v4[1], v4[2]);
  // A zone index (`fe80::1%eth0`) names a local interface, not part of the address.
  const zone = address.indexOf('%');
  const groups = parseIPv6(zone === -1 ? address : address.slice(0, zone));
  if (!groups) return UNKNOWN_NETWORK;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return ipv4Key(g6 >> 8, g6 & 0xff, g7 >> 8);
  }
  return `v6:${(g0 ?? 0).toString(16)}:${(g1 ?? 0).toString(16)}:${(g2 ?? 0).toString(16)}`;
}
