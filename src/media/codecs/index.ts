export * from './codec.js';
export * from './g711.js';
export * from './g722.js';
export * from './l16.js';
export * from './opus.js';
export * from './factory.js';
