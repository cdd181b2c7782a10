/** Encodes 8-bit RGB pixels (width × height × 3 bytes, row by row) as a PNG; `level` is zlib's (default 6). */
export function encodePng(width: number, height: number, rgb: Uint8Array, level?: number): Buffer;
