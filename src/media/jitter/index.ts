export * from './jitter-buffer.js';
export * from './interarrival-jitter.js';
export * from './playout-target.js';
