import type { RemoteInfo } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../../log.js';
import type { BridgeTransportEvents, BridgeTransportOptions, DtlsRestartMode } from './bridge-transport-options.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { BoundUdpSocket } from '../port-allocator.js';
import { matchesFingerprint, processCertificate, type DtlsCertificate } from './certificate.js';
import { DtlsClientSession } from './dtls-client-session.js';
import { BridgeTransportError } from './errors.js';
import { IceAgent } from './ice-agent.js';
import { waitForSelection, type PendingSelection } from './selection-wait.js';
import { hostCandidate } from './ice-candidates.js';
import { classifyPacket, PacketKind } from './packet-demux.js';
import { PrefilterBudget, type RtpPrefilter } from './rtp-prefilter.js';
import { createSrtpSession, type SrtpCounters, type SrtpSession } from './srtp/srtp-session.js';
import { TransportCounters } from './transport-counters.js';
import type {
  BridgeTransportState,
  BridgeTransportStats,
  FingerprintLike,
  IceCandidateLike,
  LocalIceCandidate,
  LocalTransportParameters,
  RemoteTransportParameters,
  SrtpProfileName,
  TransportAddress,
} from './types.js';

export type { BridgeTimings, BridgeTransportEvents, BridgeTransportOptions, DtlsRestartMode } from './bridge-transport-options.js';

const DEFAULT_PROFILES: SrtpProfileName[] = ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'];
const DEFAULT_DTLS_TIMEOUT_MS = 10_000;

/**
 * The media transport toward the Jitsi Videobridge: one UDP socket carrying ICE (we are the
 * full, controlling agent), DTLS (we are the client) and SRTP/SRTCP with rtcp-mux, with
 * parameters taken from Jingle rather than from a browser-style PeerConnection. Every SSRC on
 * the socket is delivered ('rtp' per packet), which werift's track API would not do.
 *
 * Lifecycle: create() → localParameters() into the Jingle answer → start(remote) → 'connected'
 * → sendRtp/'rtp' … → close(). 'failed' reports ICE timeout, lost consent, DTLS failure or a
 * certificate that does not match the fingerprint; the owner decides whether to restart or hang up.
 */
export class BridgeTransport extends TypedEmitter<BridgeTransportEvents> {
  #state: BridgeTransportState = 'new';
  #srtp: SrtpSession | undefined;
  #dtls: DtlsClientSession | undefined;
  /** DER certificate of the authenticated bridge, for deciding whether a restart needs new DTLS. */
  #remoteCertificate: Buffer | undefined;
  /** Cancels the connection step in progress (ICE selection or DTLS handshake). */
  #abortPending: { abort(err: BridgeTransportError): void; owner: object } | undefined;
  #closing: Promise<void> | undefined;
  #prefilter: RtpPrefilter | undefined;
  readonly #budget = new PrefilterBudget();
  readonly #counters = new TransportCounters();
  readonly #retiredSrtp: SrtpCounters = { authFailures: 0, replays: 0, malformed: 0 };
  readonly #ice: IceAgent;
  readonly #candidate: LocalIceCandidate;
  readonly #localAddress: AddressInfo;
  readonly #log: Logger;
  readonly #profiles: SrtpProfileName[];
  readonly #dtlsTimeoutMs: number;

  static async create(options: BridgeTransportOptions): Promise<BridgeTransport> {
    const certificate = options.certificate ?? (await processCertificate());
    const bound = options.socket ?? (await options.portAllocator?.bind(options.bindAddress));
    if (bound === undefined) throw new TypeError('BridgeTransport needs a bound socket or a port allocator');
    try {
      return new BridgeTransport(options, certificate, bound);
    } catch (err) {
      await bound.release();
      throw err;
    }
  }

  private constructor(
    options: BridgeTransportOptions,
    private readonly certificate: DtlsCertificate,
    private readonly bound: BoundUdpSocket,
  ) {
    super();
    this.#log = (options.logger ?? silentLogger()).child({ component: 'bridge-transport', port: bound.port });
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'bridge transport listener threw'));
    const announced = options.announcedAddress ?? options.bindAddress;
    if (announced === '0.0.0.0' || announced === '::') {
      throw new TypeError('BridgeTransport bound to a wildcard address needs announcedAddress');
    }
    this.#localAddress = bound.socket.address();
    this.#candidate = hostCandidate(announced, bound.port);
    this.#profiles = options.srtpProfiles ?? DEFAULT_PROFILES;
    this.#dtlsTimeoutMs = options.timings?.dtlsTimeoutMs ?? DEFAULT_DTLS_TIMEOUT_MS;
    this.#ice = new IceAgent({
      localCandidate: this.#candidate,
      family: this.#localAddress.family === 'IPv6' ? 6 : 4,
      send: (data, to) => this.#send(data, to),
      logger: this.#log,
      timings: options.timings,
    });
    this.#ice.on('failed', (err) => this.#fail(err));
    bound.socket.on('message', this.#onMessage);
    bound.socket.on('error', this.#onSocketError);
  }

  get state(): BridgeTransportState {
    return this.#state;
  }

  /** What goes into our Jingle transport: ICE credentials, our candidate, our DTLS fingerprint. */
  localParameters(): LocalTransportParameters {
    return {
      ufrag: this.#ice.localUfrag,
      pwd: this.#ice.localPwd,
      candidates: [{ ...this.#candidate }],
      fingerprint: { ...this.certificate.fingerprint },
    };
  }

  /**
   * Connects to the bridge: ICE checks until a pair is nominated, the DTLS handshake as client
   * with the bridge's certificate checked against `remote.fingerprints`, then SRTP keys.
   * Resolves once media can flow; rejects (and emits 'failed') with a BridgeTransportError.
   */
  async start(remote: RemoteTransportParameters): Promise<void> {
    if (this.#state !== 'new') throw new Error(`BridgeTransport.start() called in state ${this.#state}`);
    this.#setState('checking');
    const selection = this.#pend(waitForSelection(this.#ice));
    this.#ice.start(remote, remote.candidates);
    await this.#connect(selection, remote.fingerprints);
  }

  /** A candidate that arrived later (Jingle transport-info). Unusable ones (TCP…) return false. */
  addRemoteCandidate(candidate: IceCandidateLike): boolean {
    return this.#ice.addRemoteCandidate(candidate);
  }

  /**
   * ICE restart with new remote parameters (transport-info with new credentials, or
   * transport-replace). New local credentials exist as soon as this is called: read
   * localParameters() right away to answer the peer. With DTLS kept, media keeps flowing on the
   * old pair meanwhile; with DTLS renegotiated, sending stops until the new keys are ready.
   */
  async restartIce(remote: RemoteTransportParameters, dtls: DtlsRestartMode = 'auto'): Promise<void> {
    if (this.#state === 'new' || this.#state === 'closed') {
      throw new Error(`BridgeTransport.restartIce() called in state ${this.#state}`);
    }
    this.#abortPending?.abort(new BridgeTransportError('superseded', 'superseded by an ICE restart'));
    const certificateStillMatches =
      this.#remoteCertificate !== undefined && matchesFingerprint(this.#remoteCertificate, remote.fingerprints);
    const renegotiate = dtls === 'renegotiate' || (dtls === 'auto' && !certificateStillMatches) || this.#srtp === undefined;
    const selection = this.#pend(waitForSelection(this.#ice));
    if (renegotiate) {
      this.#retireSecurity();
      this.#setState('checking');
      this.#ice.restart(remote, remote.candidates);
      await this.#connect(selection, remote.fingerprints);
      return;
    }
    // Same DTLS association: a connected transport keeps sending on the old pair meanwhile; one
    // that had failed (consent lost) waits for the new pair.
    const wasConnected = this.#state === 'connected';
    if (!wasConnected) this.#setState('checking');
    this.#ice.restart(remote, remote.candidates);
    try {
      await selection.promise;
    } catch (err) {
      throw this.#fail(asBridgeError(err));
    } finally {
      this.#unpend(selection);
    }
    if (!wasConnected) {
      this.#setState('connected');
      this.emit('connected');
    }
  }

  /**
   * Installs (or, with undefined, removes) the hook that sees each SRTP packet's clear header
   * before decryption and may decline its payload (see rtp-prefilter.ts). Never called for
   * RTCP, DTLS or STUN. Skipped packets count in `rtpIn` like delivered ones.
   */
  setRtpPrefilter(filter: RtpPrefilter | undefined): void {
    this.#prefilter = filter;
  }

  /** Encrypts and sends one RTP packet; false (and nothing sent) unless connected. */
  sendRtp(packet: Buffer): boolean {
    const srtp = this.#srtp;
    const to = this.#ice.selected;
    if (srtp === undefined || to === undefined || this.#state !== 'connected') {
      this.#counters.sendRefused++;
      return false;
    }
    const out = srtp.protectRtp(packet);
    this.bound.socket.send(out, to.port, to.host);
    this.#counters.countOut(out.length, false);
    return true;
  }

  /** Encrypts and sends one (compound) RTCP packet; false unless connected. */
  sendRtcp(packet: Buffer): boolean {
    const srtp = this.#srtp;
    const to = this.#ice.selected;
    if (srtp === undefined || to === undefined || this.#state !== 'connected') {
      this.#counters.sendRefused++;
      return false;
    }
    const out = srtp.protectRtcp(packet);
    this.bound.socket.send(out, to.port, to.host);
    this.#counters.countOut(out.length, true);
    return true;
  }

  get stats(): BridgeTransportStats {
    const live = this.#srtp?.counters;
    const selected = this.#ice.selected;
    return {
      ...this.#counters.snapshot(),
      dropped: this.#counters.dropped + this.#retiredSrtp.malformed + (live?.malformed ?? 0),
      state: this.#state,
      srtpAuthFailures: this.#retiredSrtp.authFailures + (live?.authFailures ?? 0),
      srtpReplays: this.#retiredSrtp.replays + (live?.replays ?? 0),
      srtpProfile: this.#srtp?.profile,
      selectedPair:
        selected === undefined
          ? undefined
          : { local: { host: this.#candidate.ip, port: this.#candidate.port }, remote: { ...selected } },
      rttMs: this.#ice.rttMs,
    };
  }

  /** Stops everything and frees the port. Idempotent; resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#state = 'closed';
    this.#abortPending?.abort(new BridgeTransportError('closed', 'transport closed'));
    this.#ice.close();
    this.#retireSecurity();
    this.bound.socket.off('message', this.#onMessage);
    this.#closing = this.bound.release().then(() => {
      this.bound.socket.off('error', this.#onSocketError);
      this.#log.debug('bridge transport closed');
      this.emit('closed');
    });
    return this.#closing;
  }

  async #connect(selection: PendingSelection, fingerprints: readonly FingerprintLike[]): Promise<void> {
    let step: PendingSelection | DtlsClientSession = selection;
    try {
      await selection.promise;
      this.#unpend(selection);
      this.#setState('handshaking');
      const dtls = new DtlsClientSession({
        certificate: this.certificate,
        profiles: this.#profiles,
        localAddress: this.#localAddress,
        send: (data) => {
          const to = this.#ice.selected;
          if (to !== undefined) this.#send(data, to);
        },
        onPeerClosed: () => {
          // The association is gone at the bridge: a later restart must handshake again.
          this.#retireSecurity();
          this.#fail(new BridgeTransportError('dtls-closed', 'the bridge closed the DTLS association'));
        },
        logger: this.#log,
      });
      this.#dtls = dtls;
      step = dtls;
      const handshake = dtls.handshake(fingerprints, this.#dtlsTimeoutMs);
      this.#abortPending = { abort: (err) => dtls.close(err), owner: dtls };
      const result = await handshake;
      this.#unpend(dtls);
      this.#srtp = createSrtpSession(result.profile, result.keys);
      this.#remoteCertificate = result.remoteCertificate;
      this.#setState('connected');
      this.#log.info({ profile: result.profile, remote: this.#ice.selected }, 'bridge transport connected');
      this.emit('connected');
    } catch (err) {
      this.#unpend(step);
      const error = asBridgeError(err);
      // A superseded attempt is not a failure of the transport: the newer attempt decides.
      if (error.reason === 'superseded') throw error;
      throw this.#fail(error);
    }
  }

  /** Registers the step in progress, so that close(), a restart or a failure can cancel it. */
  #pend(selection: PendingSelection): PendingSelection {
    this.#abortPending = { abort: (err) => selection.abort(err), owner: selection };
    return selection;
  }

  /** Forgets a finished step, unless a newer one has replaced it meanwhile. */
  #unpend(owner: object): void {
    if (this.#abortPending?.owner === owner) this.#abortPending = undefined;
  }

  #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    this.#counters.countIn(msg.length);
    switch (classifyPacket(msg)) {
      case PacketKind.Rtp: {
        const srtp = this.#srtp;
        if (srtp === undefined || !this.#ice.isSelectedSource(rinfo.address, rinfo.port)) break;
        const filter = this.#prefilter;
        if (filter !== undefined && this.#budget.skip(msg, filter)) {
          this.#counters.rtpIn++;
          return;
        }
        const plain = srtp.unprotectRtp(msg);
        if (plain === null) return;
        if (filter !== undefined) this.#budget.authenticated(plain);
        this.#counters.rtpIn++;
        this.emit('rtp', plain);
        return;
      }
      case PacketKind.Rtcp: {
        const srtp = this.#srtp;
        if (srtp === undefined || !this.#ice.isSelectedSource(rinfo.address, rinfo.port)) break;
        const plain = srtp.unprotectRtcp(msg);
        if (plain === null) return;
        this.#counters.rtcpIn++;
        this.emit('rtcp', plain);
        return;
      }
      case PacketKind.Stun:
        this.#ice.handleStun(msg, { host: rinfo.address, port: rinfo.port });
        return;
      case PacketKind.Dtls:
        if (this.#dtls === undefined || !this.#ice.isSelectedSource(rinfo.address, rinfo.port)) break;
        this.#dtls.handleDatagram(msg, [rinfo.address, rinfo.port]);
        return;
    }
    this.#counters.dropped++;
  };

  #onSocketError = (err: Error): void => {
    this.#log.warn({ err }, 'bridge transport socket error');
  };

  #send(data: Buffer, to: TransportAddress): void {
    if (this.#state === 'closed') return;
    this.bound.socket.send(data, to.port, to.host);
    this.#counters.countOut(data.length, undefined);
  }

  /** Drops DTLS and SRTP state (their counters are kept for stats). */
  #retireSecurity(): void {
    this.#dtls?.close();
    this.#dtls = undefined;
    const srtp = this.#srtp;
    if (srtp !== undefined) {
      this.#retiredSrtp.authFailures += srtp.counters.authFailures;
      this.#retiredSrtp.replays += srtp.counters.replays;
      this.#retiredSrtp.malformed += srtp.counters.malformed;
    }
    this.#srtp = undefined;
    this.#budget.clear();
    this.#remoteCertificate = undefined;
  }

  /** Enters 'failed' once and tells listeners; returns the error for rethrowing. */
  #fail(err: BridgeTransportError): BridgeTransportError {
    if (this.#state === 'closed' || this.#state === 'failed') return err;
    this.#setState('failed');
    // A handshake still running (ICE failed under it) must not bring the transport back up.
    this.#abortPending?.abort(err);
    this.#log.warn({ reason: err.reason }, `bridge transport failed: ${err.message}`);
    this.emit('failed', err);
    return err;
  }

  #setState(state: BridgeTransportState): void {
    this.#state = state;
  }
}

function asBridgeError(err: unknown): BridgeTransportError {
  if (err instanceof BridgeTransportError) return err;
  return new BridgeTransportError('ice-failed', String(err), { cause: err });
}
