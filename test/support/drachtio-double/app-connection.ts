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

  /** Frames kept back by hold(), written together by release(). */
  #held: Buffer[] | undefined;

  constructor(readonly socket: Socket) {}

  send(text: string): void {
    if (this.closed || this.socket.destroyed) return;
    if (this.#held !== undefined) this.#held.push(encodeFrame(text));
    else this.socket.write(encodeFrame(text));
  }

  /**
   * Keeps what is sent from now on until release(), which writes it all in one go: on loopback one
   * write of a few kB arrives in one read, so srf handles every message in it in one synchronous pass.
   */
  hold(): void {
    this.#held ??= [];
  }

  release(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined || held.length === 0 || this.closed || this.socket.destroyed) return;
    this.socket.write(Buffer.concat(held));
  }

  wants(method: string): boolean {
    return this.authenticated && !this.closed && this.routes.has(method.toLowerCase());
  }
}
