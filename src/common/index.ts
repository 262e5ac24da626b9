export * from './assert.js';
export * from './backoff.js';
export * from './bytes.js';
export * from './crc32c.js';
export * from './ids.js';
export * from './min-heap.js';
export * from './placement.js';
export * from './prng.js';
