/** Small HTTP pieces the swarmcdn routes share: the error body schema and ETag revalidation. */

/** JSON schema of every error body (`{ code, message }`), for the routes' response schemas. */
export const errorSchema = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
} as const;

function opaque(tag: string): string {
  // RFC 9110 §13.1.2: If-None-Match uses the weak comparison, so W/"x" matches "x".
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** True when an If-None-Match header matches the current ETag (the client's copy is current). */
export function ifNoneMatch(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const want = opaque(etag);
  return [header]
    .flat()
    .flatMap((h) => h.split(','))
    .some((tag) => {
      const t = tag.trim();
      return t === '*' || opaque(t) === want;
    });
}
