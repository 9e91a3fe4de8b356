/**
 * A fake Jitsi Videobridge for tests: one UDP socket on 127.0.0.1, ICE-lite, DTLS server
 * (setup passive toward the gateway's active), SRTP/SRTCP with rtcp-mux. It sends raw RTP from
 * any number of SSRCs and reports what it receives, decrypted.
 *
 * Its DTLS and SRTP come from werift (DtlsServer, SrtpSession, SrtcpSession), not from the
 * gateway's own SRTP code, so gateway ↔ fake-bridge tests are real interop tests.
 *
 *   const bridge = await FakeBridge.create();
 *   // bridge.transport goes into a Jingle offer; remoteParameters() is the same for start()
 *   await transport.start(bridge.remoteParameters());
 *   await bridge.connected;
 *   bridge.sendRtp(packet); bridge.on('rtp', (packet) => …);
 */
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  DtlsServer,
  RtpPacket,
  SrtcpSession,
  SrtpSession,
  type Address,
  type Transport,
} from 'werift';
import { generateCertificate, type DtlsCertificate } from '../../src/media/bridge/certificate.js';
import { TypedEmitter } from '../../src/util/typed-emitter.js';
import { IceLiteResponder } from './fake-bridge/ice-lite-responder.js';

export type FakeBridgeProfile = 'AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM';

const PROFILE_IDS: Record<FakeBridgeProfile, 1 | 7> = { AES_CM_128_HMAC_SHA1_80: 1, AEAD_AES_128_GCM: 7 };
const KEY_LENGTHS: Record<1 | 7, { key: number; salt: number }> = { 1: { key: 16, salt: 14 }, 7: { key: 16, salt: 12 } };

export interface FakeBridgeOptions {
  /** Profiles the bridge accepts, in its order of preference (the DTLS server chooses). */
  srtpProfiles?: FakeBridgeProfile[];
  /** Also offer a TCP candidate, as the JVB does; the gateway must ignore it. */
  tcpCandidate?: boolean;
}

export interface FakeBridgeCandidate {
  foundation: string;
  component: number;
  protocol: string;
  priority: number;
  ip: string;
  port: number;
  type: 'host';
  generation: number;
  network: number;
  id: string;
}

export interface FakeBridgeTransport {
  ufrag: string;
  pwd: string;
  candidates: FakeBridgeCandidate[];
  fingerprint: { hash: 'sha-256'; setup: 'actpass'; value: string };
}

export type FakeBridgeEvents = {
  rtp: [packet: Buffer];
  rtcp: [packet: Buffer];
  connected: [];
};

interface SrtpPair {
  rtp: SrtpSession;
  rtcp: SrtcpSession;
  profile: FakeBridgeProfile;
}

export class FakeBridge extends TypedEmitter<FakeBridgeEvents> {
  readonly ice: IceLiteResponder;
  /** Resolves when the current DTLS association is up and SRTP keys are in place. */
  connected: Promise<void>;
  /** SRTP/SRTCP packets that failed to decrypt. */
  authFailures = 0;
  #dtls: DtlsServer | undefined;
  #dtlsPeer: { host: string; port: number } | undefined;
  #srtp: SrtpPair | undefined;
  #clientFingerprint: string | undefined;
  #closed = false;
  #markConnected: () => void = () => {};

  static async create(options: FakeBridgeOptions = {}): Promise<FakeBridge> {
    const certificate = await generateCertificate();
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new FakeBridge(socket, certificate, options);
  }

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly certificate: DtlsCertificate,
    private readonly options: FakeBridgeOptions,
  ) {
    super();
    this.ice = new IceLiteResponder((data, to) => this.#send(data, to));
    this.connected = this.#newDtlsServer();
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, { host: rinfo.address, port: rinfo.port }));
    // Send failures only lose a datagram, as on a real network.
    socket.on('error', () => {});
  }

  get port(): number {
    return (this.socket.address() as AddressInfo).port;
  }

  /** Parameters for the Jingle offer (session-initiate) as Jicofo would put them. */
  get transport(): FakeBridgeTransport {
    const candidates: FakeBridgeCandidate[] = [
      {
        foundation: '1',
        component: 1,
        protocol: 'udp',
        priority: 2130706431,
        ip: '127.0.0.1',
        port: this.port,
        type: 'host',
        generation: 0,
        network: 0,
        id: 'fakebridge-udp',
      },
    ];
    if (this.options.tcpCandidate === true) {
      // Lower priority than UDP as on a real JVB; nothing listens there.
      candidates.push({ ...candidates[0]!, foundation: '2', protocol: 'tcp', priority: 1694498815, port: 9, id: 'fakebridge-tcp' });
    }
    return {
      ufrag: this.ice.ufrag,
      pwd: this.ice.pwd,
      candidates,
      fingerprint: { hash: 'sha-256', setup: 'actpass', value: this.certificate.fingerprint.value },
    };
  }

  /** The same parameters in the shape BridgeTransport.start() takes. */
  remoteParameters(): {
    ufrag: string;
    pwd: string;
    candidates: FakeBridgeCandidate[];
    fingerprints: Array<{ hash: string; value: string }>;
  } {
    const t = this.transport;
    return { ufrag: t.ufrag, pwd: t.pwd, candidates: t.candidates, fingerprints: [t.fingerprint] };
  }

  /** SHA-256 fingerprint of the certificate the gateway presented, once connected. */
  get clientFingerprint(): string | undefined {
    return this.#clientFingerprint;
  }

  get srtpProfile(): FakeBridgeProfile | undefined {
    return this.#srtp?.profile;
  }

  /** Where the gateway's media comes from (the nominated pair / the DTLS peer). */
  get peer(): { host: string; port: number } | undefined {
    return this.ice.nominated ?? this.#dtlsPeer;
  }

  /**
   * Simulates a bridge-side restart: new ICE credentials, and with `dtls` a fresh DTLS server
   * (a new endpoint, as after a transport-replace). `connected` then tracks the new association.
   */
  restart(opts: { dtls: boolean }): void {
    this.ice.renew();
    if (opts.dtls) {
      this.#closeDtls();
      this.#srtp = undefined;
      this.connected = this.#newDtlsServer();
    }
  }

  /** Encrypts a plain RTP packet (any SSRC) and sends it to the gateway. */
  sendRtp(packet: Buffer): void {
    const srtp = this.#requireSrtp();
    const parsed = RtpPacket.deSerialize(packet);
    this.#sendToPeer(srtp.rtp.encrypt(parsed.payload, parsed.header));
  }

  sendRtcp(packet: Buffer): void {
    this.#sendToPeer(this.#requireSrtp().rtcp.encrypt(packet));
  }

  /** Sends raw bytes to the gateway as they are (for tampering tests). */
  sendRaw(data: Buffer): void {
    this.#sendToPeer(data);
  }

  /** Encrypts without sending: lets a test tamper with or replay a packet. */
  protectRtp(packet: Buffer): Buffer {
    const parsed = RtpPacket.deSerialize(packet);
    return this.#requireSrtp().rtp.encrypt(parsed.payload, parsed.header);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeDtls();
    this.removeAllListeners();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  #newDtlsServer(): Promise<void> {
    const transport: Transport = {
      type: 'udp',
      address: this.socket.address() as AddressInfo,
      closed: false,
      onData: () => {},
      send: async (data: Buffer) => {
        const to = this.#dtlsPeer ?? this.ice.nominated;
        if (to !== undefined && !transport.closed) this.#send(data, to);
      },
      close: async () => {
        transport.closed = true;
      },
    };
    const server = new DtlsServer({
      transport,
      cert: this.certificate.certPem,
      key: this.certificate.keyPem,
      signatureHash: this.certificate.signatureHash,
      srtpProfiles: (this.options.srtpProfiles ?? ['AES_CM_128_HMAC_SHA1_80']).map((p) => PROFILE_IDS[p]),
      extendedMasterSecret: true,
      certificateRequest: true,
    });
    this.#dtls = server;
    return new Promise<void>((resolve) => {
      this.#markConnected = resolve;
      server.onConnect.once(() => {
        if (this.#dtls !== server) return;
        const profileId = server.srtp.srtpProfile;
        if (profileId !== 1 && profileId !== 7) return;
        const lengths = KEY_LENGTHS[profileId];
        const k = server.extractSessionKeys(lengths.key, lengths.salt);
        const config = {
          keys: {
            localMasterKey: k.localKey as Buffer,
            localMasterSalt: k.localSalt as Buffer,
            remoteMasterKey: k.remoteKey as Buffer,
            remoteMasterSalt: k.remoteSalt as Buffer,
          },
          profile: profileId,
        };
        this.#srtp = {
          rtp: new SrtpSession(config),
          rtcp: new SrtcpSession(config),
          profile: profileId === 1 ? 'AES_CM_128_HMAC_SHA1_80' : 'AEAD_AES_128_GCM',
        };
        const cert = server.remoteCertificate;
        this.#clientFingerprint =
          cert === undefined
            ? undefined
            : createHash('sha256').update(cert).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
        this.#markConnected();
        this.emit('connected');
      });
    });
  }

  #closeDtls(): void {
    const server = this.#dtls;
    if (server === undefined) return;
    this.#dtls = undefined;
    // End werift's flight retransmission loops at their next wake-up.
    server.dtls.flight = Number.MAX_SAFE_INTEGER;
    server.onConnect.allUnsubscribe();
    void server.transport.socket.close();
  }

  #onMessage(msg: Buffer, from: { host: string; port: number }): void {
    const first = msg[0] ?? 0;
    if (first <= 3) {
      this.ice.handle(msg, from);
    } else if (first >= 20 && first <= 63) {
      const server = this.#dtls;
      if (server === undefined) return;
      this.#dtlsPeer = from;
      const address: Address = [from.host, from.port];
      server.transport.socket.onData(msg, address);
    } else if (first >= 128 && first <= 191 && this.#srtp !== undefined) {
      const second = msg[1] ?? 0;
      const isRtcp = second >= 192 && second <= 223;
      try {
        if (isRtcp) this.emit('rtcp', this.#srtp.rtcp.decrypt(msg));
        else this.emit('rtp', this.#srtp.rtp.decrypt(msg));
      } catch {
        this.authFailures++;
      }
    }
  }

  #requireSrtp(): SrtpPair {
    if (this.#srtp === undefined) throw new Error('fake bridge: SRTP not established yet');
    return this.#srtp;
  }

  #sendToPeer(data: Buffer): void {
    const to = this.peer;
    if (to === undefined) throw new Error('fake bridge: no nominated peer yet');
    this.#send(data, to);
  }

  #send(data: Buffer, to: { host: string; port: number }): void {
    if (!this.#closed) this.socket.send(data, to.port, to.host);
  }
}
