/** The options, events and restart modes of BridgeTransport (bridge-transport.ts). */
import type { Logger } from '../../log.js';
import type { BoundUdpSocket, PortAllocator } from '../port-allocator.js';
import type { DtlsCertificate } from './certificate.js';
import type { BridgeTransportError } from './errors.js';
import type { IceTimings } from './ice-agent.js';
import type { SrtpProfileName } from './types.js';

export interface BridgeTimings extends IceTimings {
  dtlsTimeoutMs: number;
}

export interface BridgeTransportOptions {
  /** Local address to bind (127.0.0.1 in tests; 0.0.0.0 needs `announcedAddress`). */
  bindAddress: string;
  /** Address put in our candidate (MEDIA_ADDRESS); the bind address when absent. */
  announcedAddress?: string;
  /** An already bound socket; the transport takes it over and releases it on close. */
  socket?: BoundUdpSocket;
  /** Where to get a socket when `socket` is not given. */
  portAllocator?: PortAllocator;
  logger?: Logger;
  /** The gateway is always the controlling agent toward the ICE-lite JVB. */
  iceControlling?: true;
  /** Defaults to the per-process certificate (see certificate.ts). */
  certificate?: DtlsCertificate;
  /** Offered in this order; the bridge chooses. */
  srtpProfiles?: SrtpProfileName[];
  timings?: Partial<BridgeTimings>;
}

export type BridgeTransportEvents = {
  /** A decrypted RTP packet, from any SSRC: a view of the received datagram, never reused. */
  rtp: [packet: Buffer];
  /** A decrypted (compound) RTCP packet. */
  rtcp: [packet: Buffer];
  connected: [];
  failed: [error: BridgeTransportError];
  closed: [];
};

/**
 * How `restartIce` treats DTLS: 'keep' the association (a plain ICE restart of the same
 * session), 'renegotiate' (a new endpoint at the bridge: transport-replace), or 'auto' —
 * renegotiate only when the signalled fingerprints no longer match the certificate in use.
 */
export type DtlsRestartMode = 'keep' | 'renegotiate' | 'auto';
