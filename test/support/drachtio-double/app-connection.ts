import type { Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from './framing.js';

/** One drachtio-srf application connected to the double (drachtio calls these "clients"). */
export class AppConnection {
  readonly decoder = new FrameDecoder();
  authenticated = false;
  /** Request methods the app asked to receive (`route|invite`), lower case as drachtio keeps them. */
  readonly routes = new Set<string>();
  tags: string[] = [];
  closed = false;

  constructor(readonly socket: Socket) {}

  send(text: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.socket.write(encodeFrame(text));
  }

  wants(method: string): boolean {
    return this.authenticated && !this.closed && this.routes.has(method.toLowerCase());
  }
}
