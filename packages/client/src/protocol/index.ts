export * from './ack.js';
export * from './error-codes.js';
export * from './event-maps.js';
export * from './events.js';
export * from './game-payloads.js';
export * from './limits.js';
export * from './metadata-payloads.js';
export * from './payloads.js';
