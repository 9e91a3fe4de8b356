export * from './packet.js';
export * from './header-extensions.js';
export * from './rtcp.js';
export * from './dtmf.js';
export * from './sequence.js';
