export * from './room-mixer.js';
export * from './multi-rate-mixer.js';
export * from './resampler.js';
