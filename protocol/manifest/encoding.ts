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

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // 32 KiB slices keep String.fromCharCode's argument list far below engine limits.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes standard or URL-safe base64 (DSSE accepts both), returning undefined for anything else,
 * so a caller can turn it into its own error code.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  let standard = text;
  if (!BASE64_RE.test(text)) {
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
