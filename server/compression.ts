/**
 * When a response is worth compressing: a text-like type and at least 1 KiB. @fastify/compress
 * decides by type alone for streams (and falls back to mime-db, which calls octet-stream
 * compressible), so the origin adds the size and the strict type check per file.
 */
import type { FastifyCompressOptions } from '@fastify/compress';

/**
 * Text, scripts, JSON, XML, SVG and WebAssembly. Images, video, audio, fonts (woff2 is compressed
 * already), archives and unknown binaries (octet-stream) are left alone: compressing them again
 * costs CPU and saves nothing.
 */
export const COMPRESSIBLE_TYPES =
  /^(?:text\/(?!event-stream)[\w.+-]+|image\/svg\+xml|application\/(?:javascript|ecmascript|x-javascript|json|xml|wasm|manifest\+json|[\w.-]+\+(?:json|xml)))\s*(?:;|$)/i;

/** 1 KiB: below this a compressed body plus its headers is no smaller than the original. */
export const COMPRESS_MIN_BYTES = 1024;

/** @fastify/compress's options for the swarmcdn routes. */
export const compressOptions: FastifyCompressOptions = {
  encodings: ['br', 'gzip'],
  customTypes: COMPRESSIBLE_TYPES,
  threshold: COMPRESS_MIN_BYTES,
};

/** True when a body of this type and size is worth compressing. */
export function worthCompressing(contentType: unknown, size: number): boolean {
  return typeof contentType === 'string' && COMPRESSIBLE_TYPES.test(contentType) && size >= COMPRESS_MIN_BYTES;
}
