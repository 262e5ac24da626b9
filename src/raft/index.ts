export * from './log-types.js';
export * from './storage.js';
