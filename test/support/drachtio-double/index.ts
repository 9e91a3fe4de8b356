/**
 * A test double for drachtio-server that speaks the drachtio wire protocol to the real
 * drachtio-srf library. See server.ts for the entry point.
 */
export { DrachtioDouble, type DrachtioDoubleOptions } from './server.js';
export { InjectedRequest, type InjectOptions } from './network-side.js';
export type { RespondOptions } from './app-side.js';
export type { CapturedRequest } from './stack-context.js';
export { encodeFrame, FrameDecoder } from './framing.js';
export { DialogPeer, callerDialog, calleeDialog, type InDialogOptions } from './dialog-peer.js';
export { digestChallenge, digestResponse, parseDigest } from './digest.js';
export { UdpSipFront } from './udp-front.js';
