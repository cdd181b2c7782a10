export * from './errors.js';
export * from './manifest/index.js';
