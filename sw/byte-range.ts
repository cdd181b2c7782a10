/**
 * The one Range form the SW answers itself: a single byte range (RFC 9110 §14.1.2). Anything else
 * (several ranges, other units, odd syntax) goes to the origin untouched, which knows more than we do.
 */

/** What a Range header asks of a file of known size. */
export type RangeRequest =
  /** No Range header: the whole file, 200. */
  | { readonly kind: 'full' }
  /** One satisfiable range, inclusive bounds clamped to the file: 206. */
  | { readonly kind: 'range'; readonly start: number; readonly end: number }
  /** A well-formed single range that lies outside the file: 416 with `bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' }
  /** Several ranges, another unit or odd syntax: pass the request to the origin as it is. */
  | { readonly kind: 'unsupported' };

// 'bytes=' then first-last, first- or -suffix; whitespace is allowed around the pieces (RFC 9110 OWS).
const SINGLE_RANGE = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;
// 15 digits still fit a safe integer; a longer number is nonsense for any file we hold.
const MAX_DIGITS = 15;

/** Parses a Range header (null when absent) against a file of `size` bytes. */
export function parseRange(header: string | null, size: number): RangeRequest {
  if (header === null) return { kind: 'full' };
  if (header.length > 200) return { kind: 'unsupported' };
  const m = SINGLE_RANGE.exec(header);
  if (!m) return { kind: 'unsupported' };
  const [, first = '', last = ''] = m;
  if (first.length > MAX_DIGITS || last.length > MAX_DIGITS) return { kind: 'unsupported' };
  if (first === '' && last === '') return { kind: 'unsupported' };
  if (first === '') {
    // bytes=-n: the last n bytes; -0 asks for nothing, which no file can satisfy.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return { kind: 'unsupported' };
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { kind: 'range', start, end };
}
