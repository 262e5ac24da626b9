export * from './backoff.js';
export * from './client-session.js';
