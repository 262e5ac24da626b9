export * from './call.js';
export * from './client-session.js';
export * from './keep-alive.js';
export * from './partition-sessions.js';
