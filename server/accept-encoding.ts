/**
 * Content-coding negotiation for bodies the server compressed ahead of time (sw.js, bridge.js):
 * which of br, gzip or identity to send for a request's Accept-Encoding (RFC 9110 §12.5.3).
 */

/** A coding the server keeps a precompressed copy in. */
export type ContentCoding = 'br' | 'gzip' | 'identity';

/** Codings in order of preference when the client weighs them equally: br is the smaller. */
const COMPRESSED: readonly ContentCoding[] = ['br', 'gzip'];

// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
const QVALUE = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;

/** The weight of each listed coding (lower-case; x-gzip counts as gzip), 0 for a malformed weight. */
function weights(header: string): Map<string, number> {
  const listed = new Map<string, number>();
  for (const entry of header.split(',')) {
    const [name = '', ...params] = entry.split(';').map((part) => part.trim());
    if (name === '') continue;
    const q = params.find((p) => /^q=/i.test(p));
    // No weight means 1; a weight we cannot read counts as "not acceptable", so a garbled header
    // gets the uncompressed body rather than one the client may not decode.
    const weight = q === undefined ? 1 : Number(QVALUE.exec(q)?.[1] ?? 0);
    const coding = name.toLowerCase() === 'x-gzip' ? 'gzip' : name.toLowerCase();
    listed.set(coding, Math.max(listed.get(coding) ?? 0, weight));
  }
  return listed;
}

/**
 * The coding to send for an Accept-Encoding header (anything from a request: `unknown`): the
 * acceptable compressed coding with the highest weight, br before gzip on a tie, unless the client
 * weighs identity higher; identity also when nothing else is acceptable, even if identity itself
 * is refused (a 406 would break the page over a header quirk).
 */
export function preferredCoding(header: unknown): ContentCoding {
  const text = Array.isArray(header) ? header.filter((h) => typeof h === 'string').join(',') : header;
  if (typeof text !== 'string') return 'identity';
  const listed = weights(text);
  let best: ContentCoding = 'identity';
  // Identity only wins when the client names it with a higher weight than the compressed codings.
  let bestWeight = listed.get('identity') ?? 0;
  for (const coding of COMPRESSED) {
    // `*` stands for every coding the header does not name.
    const weight = listed.get(coding) ?? listed.get('*') ?? 0;
    if (weight > 0 && (weight > bestWeight || (best === 'identity' && weight === bestWeight))) {
      [best, bestWeight] = [coding, weight];
    }
  }
  return best;
}
