/** Base64 and UTF-8 helpers that run unchanged in Node, a page and a service worker (no Buffer). */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, throwing on invalid sequences (a forged payload must not decode "mostly"). */
export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

const BASE64_CODES = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));
const PAD = 0x3d; // '='
const ascii = new TextDecoder();

/**
 * Standard base64 with padding. Encoded by hand into bytes: btoa needs a "binary string" first,
 * and building one of a 24 MB manifest took seconds (this takes ~150 ms).
 */
export function toBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = BASE64_CODES[n >> 18]!;
    out[o++] = BASE64_CODES[(n >> 12) & 63]!;
    out[o++] = BASE64_CODES[(n >> 6) & 63]!;
    out[o++] = BASE64_CODES[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = BASE64_CODES[n >> 18]!;
    out[o++] = BASE64_CODES[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? BASE64_CODES[(n >> 6) & 63]! : PAD;
    out[o] = PAD;
  }
  return ascii.decode(out);
}

// With the length a multiple of 4, this is padded base64 exactly. No quantified group: V8 runs out
// of backtracking stack on `(?:x{4})*` over a few MB, and a manifest payload can be 24 MB of base64.
const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes standard or URL-safe base64 (DSSE accepts both), returning undefined for anything else,
 * so a caller can turn it into its own error code.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  let standard = text;
  if (text.length % 4 !== 0 || !BASE64_RE.test(text)) {
    if (!BASE64URL_RE.test(text) || text.length % 4 === 1) return undefined;
    standard = text.replace(/-/g, '+').replace(/_/g, '/');
    standard += '='.repeat((4 - (standard.length % 4)) % 4);
  }
  const binary = atob(standard);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
