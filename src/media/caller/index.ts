export * from './caller-endpoint.js';
export * from './errors.js';
export * from './latch.js';
export * from './prompt-player.js';
export * from './digit-collector.js';
export * from './digit-sources.js';
export * from './sdp-negotiation.js';
export * from './sdp-types.js';
