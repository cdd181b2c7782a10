/**
 * The OFFER the simulated peers relay, and how a receiver reads the send time back out of it.
 * A data-channel offer as Chromium writes it, ~500 bytes of SDP: the size of the real thing, so
 * both servers parse and copy what they would in production. Only the connectionId varies between
 * messages: it carries the send time.
 */

const OFFER_SDP = [
  'v=0',
  'o=- 5157351394563702345 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:Xk3f',
  'a=ice-pwd:0bJ3vQq3fJkqkYB1JzQvMhS4',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 6A:1F:0C:93:5B:7E:2D:44:A8:9C:11:F0:3E:62:B7:D5:48:0A:CE:29:71:84:5F:E3:9B:06:D2:7C:13:AF:58:E1',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  '',
].join('\r\n');

/** The OFFER to `dst` up to the connectionId's value; offerFrame closes it. Pairs alternate data and media. */
export function offerHead(dst: string, kind: 'data' | 'media'): string {
  return `{"type":"OFFER","dst":${JSON.stringify(dst)},"payload":{"sdp":{"type":"offer","sdp":${JSON.stringify(OFFER_SDP)}},"type":"${kind}","connectionId":"dc_`;
}

/** The whole frame: the connectionId carries the send time in µs, base 36, so it stays a plain token like the client's. */
export function offerFrame(head: string, sentAtMs: number): string {
  return `${head}${Math.round(sentAtMs * 1000).toString(36)}"}}`;
}

/** The send time (performance.now() ms) from a relayed OFFER that `src` sent, or a reason it is not one. */
export function sentAt(message: Record<string, unknown>, src: string): number | string {
  if (message.type !== 'OFFER') return String(message.type);
  if (message.src !== src) return 'OFFER with wrong src';
  const id = (message.payload as { connectionId?: unknown } | undefined)?.connectionId;
  if (typeof id !== 'string' || !id.startsWith('dc_')) return 'OFFER without connectionId';
  return parseInt(id.slice(3), 36) / 1000;
}
