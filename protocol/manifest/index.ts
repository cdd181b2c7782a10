export * from './types.js';
export * from './encoding.js';
export * from './url-path.js';
export * from './manifest.js';
export * from './keys.js';
export * from './dsse.js';
export * from './verify.js';
export * from './integrity.js';
