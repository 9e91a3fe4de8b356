/**
 * A call's transport toward the bridge across its Jingle sessions. The current BridgeTransport is
 * created before it is needed, because the Jingle answer (bridgeLocal) must carry its ICE
 * credentials and fingerprint before connect() starts it. disconnect() (the focus ended the
 * session; a new session-initiate may come within the resume window) closes the transport and
 * at once prepares a fresh one for the next session.
 */
import type { Logger } from '../../log.js';
import { BridgeTransport, type BridgeTimings } from '../bridge/bridge-transport.js';
import type { BridgeTransportError, BridgeFailureReason } from '../bridge/errors.js';
import type { BridgeTransportStats, IceCandidateLike, LocalTransportParameters, RemoteTransportParameters } from '../bridge/types.js';
import type { PortAllocator } from '../port-allocator.js';
import { CallMediaStateError } from './errors.js';

export interface BridgeLegOptions {
  bindAddress: string;
  announcedAddress?: string;
  portAllocator: PortAllocator;
  timings?: Partial<BridgeTimings>;
  logger: Logger;
}

/** Callbacks instead of events: the packet path is one direct call. */
export interface BridgeLegHandlers {
  rtp(packet: Buffer): void;
  /** Sees each SRTP packet's clear header before decryption; false: not decrypted (rtp-prefilter.ts). */
  prefilter?(packet: Buffer): boolean;
  rtcp(packet: Buffer): void;
  connected(): void;
  failed(reason: BridgeFailureReason, message: string): void;
}

export class BridgeLeg {
  readonly #options: BridgeLegOptions;
  readonly #handlers: BridgeLegHandlers;
  #transport: BridgeTransport | undefined;
  #preparing: Promise<BridgeTransport> | undefined;
  /** Counters of transports already closed, so stats cover the whole call. */
  readonly #retired = { rtpIn: 0, rtpOut: 0, srtpAuthFailures: 0 };
  #closed = false;

  static async create(options: BridgeLegOptions, handlers: BridgeLegHandlers): Promise<BridgeLeg> {
    const leg = new BridgeLeg(options, handlers);
    await leg.#prepare();
    return leg;
  }

  private constructor(options: BridgeLegOptions, handlers: BridgeLegHandlers) {
    this.#options = options;
    this.#handlers = handlers;
  }

  get connected(): boolean {
    return this.#transport?.state === 'connected';
  }

  /** Our parameters for the Jingle answer. Throws while the next session's transport is being set up. */
  localParameters(): LocalTransportParameters {
    const t = this.#transport;
    if (t === undefined) throw new CallMediaStateError('bridge transport is still being prepared');
    return t.localParameters();
  }

  /** Resolves once localParameters() can answer (the next transport is prepared). */
  async ready(): Promise<void> {
    if (this.#transport === undefined && this.#preparing !== undefined) await this.#preparing;
  }

  /** Starts ICE + DTLS with the bridge; resolves when SRTP flows. */
  async connect(remote: RemoteTransportParameters): Promise<void> {
    const t = this.#transport ?? (await this.#preparing);
    if (t === undefined || this.#closed) throw new CallMediaStateError('bridge leg is closed');
    await t.start(remote);
  }

  addCandidates(candidates: readonly IceCandidateLike[]): void {
    const t = this.#transport;
    if (t === undefined) return;
    for (const c of candidates) t.addRemoteCandidate(c);
  }

  /** ICE restart (new credentials exist once this returns its promise). */
  restart(remote: RemoteTransportParameters): Promise<void> {
    const t = this.#transport;
    if (t === undefined) return Promise.reject(new CallMediaStateError('no bridge transport to restart'));
    return t.restartIce(remote, 'auto');
  }

  sendRtp(packet: Buffer): boolean {
    const t = this.#transport;
    return t !== undefined && t.state === 'connected' && t.sendRtp(packet);
  }

  sendRtcp(packet: Buffer): boolean {
    const t = this.#transport;
    return t !== undefined && t.state === 'connected' && t.sendRtcp(packet);
  }

  stats(): { rtpIn: number; rtpOut: number; srtpAuthFailures: number; current: BridgeTransportStats | undefined } {
    const s = this.#transport?.stats;
    return {
      rtpIn: this.#retired.rtpIn + (s?.rtpIn ?? 0),
      rtpOut: this.#retired.rtpOut + (s?.rtpOut ?? 0),
      srtpAuthFailures: this.#retired.srtpAuthFailures + (s?.srtpAuthFailures ?? 0),
      current: s,
    };
  }

  /**
   * Closes the current transport (unless it was never started: then it is kept for the next
   * session) and prepares the next one.
   */
  disconnect(): void {
    const t = this.#transport;
    if (t === undefined || t.state === 'new' || this.#closed) return;
    this.#retire(t);
    void this.#prepare().catch((err: unknown) => {
      this.#options.logger.error({ err }, 'could not prepare a bridge transport for the next session');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = this.#preparing;
    const t = this.#transport;
    if (t !== undefined) await this.#retire(t);
    if (pending !== undefined) {
      const late = await pending.catch(() => undefined);
      if (late !== undefined && late !== t) await late.close();
    }
  }

  #retire(t: BridgeTransport): Promise<void> {
    const s = t.stats;
    this.#retired.rtpIn += s.rtpIn;
    this.#retired.rtpOut += s.rtpOut;
    this.#retired.srtpAuthFailures += s.srtpAuthFailures;
    t.removeAllListeners();
    if (this.#transport === t) this.#transport = undefined;
    return t.close();
  }

  #prepare(): Promise<BridgeTransport> {
    const o = this.#options;
    const creating = BridgeTransport.create({
      bindAddress: o.bindAddress,
      announcedAddress: o.announcedAddress,
      portAllocator: o.portAllocator,
      logger: o.logger,
      timings: o.timings,
    }).then(async (t) => {
      if (this.#preparing === creating) this.#preparing = undefined;
      if (this.#closed) {
        await t.close();
        throw new CallMediaStateError('bridge leg closed while preparing a transport');
      }
      this.#attach(t);
      return t;
    });
    this.#preparing = creating;
    return creating;
  }

  #attach(t: BridgeTransport): void {
    const h = this.#handlers;
    t.on('rtp', h.rtp);
    if (h.prefilter !== undefined) t.setRtpPrefilter(h.prefilter);
    t.on('rtcp', h.rtcp);
    t.on('connected', h.connected);
    t.on('failed', (err: BridgeTransportError) => h.failed(err.reason, err.message));
    this.#transport = t;
  }
}
