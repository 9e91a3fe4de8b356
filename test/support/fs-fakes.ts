/**
 * Small stand-ins for drachtio-fsmrf's MediaServer and Endpoint (the FsMediaServer / FsEndpoint
 * interfaces), for unit tests of the FreeSWITCH media mode. They record what they were asked,
 * optionally into one journal shared between them so tests can check the order across objects.
 */
import { EventEmitter } from 'node:events';
import { silentLogger } from '../../src/log.js';
import type { FsEndpoint, FsEndpointOptions, FsMediaServer, FsPlayCollect } from '../../src/media/freeswitch/fs-types.js';
import { Backoff } from '../../src/util/backoff.js';

/** An SDP as FreeSWITCH writes it, with the given payload types and attribute lines. */
export function fsSdp(payloads: string, attrs: readonly string[], port = 16384): string {
  return [
    'v=0',
    'o=FreeSWITCH 1718000000 1718000001 IN IP4 10.0.0.5',
    's=FreeSWITCH',
    'c=IN IP4 10.0.0.5',
    't=0 0',
    `m=audio ${port} RTP/AVP ${payloads}`,
    ...attrs,
    'a=ptime:20',
    'a=sendrecv',
    `a=rtcp:${port + 1} IN IP4 10.0.0.5`,
    '',
  ].join('\r\n');
}

export class FakeFsEndpoint extends EventEmitter implements FsEndpoint {
  readonly local: { sdp: string };
  readonly calls: string[] = [];
  readonly collectOptions: FsPlayCollect[] = [];
  /** What `local.sdp` becomes after modify(); unchanged when undefined. */
  sdpAfterModify: string | undefined;
  /** destroy() never settles, like a FreeSWITCH that does not confirm the hangup. */
  hangOnDestroy = false;
  playImpl: () => Promise<void> = async () => undefined;
  collectImpl: () => Promise<{ digits?: string | undefined }> = async () => ({ digits: '' });

  constructor(
    readonly uuid: string,
    sdp: string,
    private readonly journal: string[] = [],
  ) {
    super();
    this.local = { sdp };
  }

  async play(file: string): Promise<unknown> {
    this.#record(`play:${file}`);
    await this.playImpl();
    return undefined;
  }

  playCollect(opts: FsPlayCollect): Promise<{ digits?: string | undefined }> {
    this.#record('playCollect');
    this.collectOptions.push(opts);
    return this.collectImpl();
  }

  async modify(sdp: string): Promise<unknown> {
    this.#record(`modify:${sdp}`);
    if (this.sdpAfterModify !== undefined) this.local.sdp = this.sdpAfterModify;
    return undefined;
  }

  async bridge(other: FsEndpoint): Promise<void> {
    this.#record(`bridge:${other.uuid}`);
  }

  async unbridge(): Promise<void> {
    this.#record('unbridge');
  }

  async api(command: string, args: string): Promise<unknown> {
    this.#record(`api:${command} ${args}`);
    return '+OK';
  }

  destroy(): Promise<void> {
    this.#record('destroy');
    return this.hangOnDestroy ? new Promise<void>(() => undefined) : Promise.resolve();
  }

  #record(call: string): void {
    this.calls.push(call);
    this.journal.push(`${this.uuid}:${call}`);
  }
}

export class FakeFsMediaServer implements FsMediaServer {
  /** What the next createEndpoint() calls get, in order: an endpoint, a rejection, or one later. */
  readonly queue: Array<FakeFsEndpoint | Error | Promise<FakeFsEndpoint>> = [];
  readonly created: FsEndpointOptions[] = [];
  disconnects = 0;
  #lostListeners: Array<(reason: string) => void> = [];
  #lost = false;

  constructor(private readonly journal: string[] = []) {}

  async createEndpoint(opts: FsEndpointOptions): Promise<FsEndpoint> {
    this.created.push(opts);
    this.journal.push(`createEndpoint:${opts.remoteSdp ?? '(3pcc)'}`);
    const next = this.queue.shift();
    if (next === undefined) throw new Error('no endpoint queued');
    if (next instanceof Error) throw next;
    return next;
  }

  onLost(listener: (reason: string) => void): void {
    this.#lostListeners.push(listener);
  }

  disconnect(): void {
    this.disconnects += 1;
    this.lose('disconnected');
  }

  /** The event socket connection goes away. */
  lose(reason: string): void {
    if (this.#lost) return;
    this.#lost = true;
    for (const l of this.#lostListeners.splice(0)) l(reason);
  }
}

/** FreeswitchConnection options every unit test shares: a fixed address, no logs, fast retries. */
export const TEST_CONNECTION = {
  host: '127.0.0.1',
  port: 8021,
  secret: 'ClueCon',
  profile: 'drachtio_mrf',
  logger: silentLogger(),
  get backoff(): Backoff {
    return new Backoff(5, 20);
  },
};
