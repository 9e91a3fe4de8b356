/**
 * Parameters exchanged with the bridge through Jingle. Field names follow the Jingle ICE-UDP
 * transport (and src/xmpp/jingle/types.ts), so a parsed `<candidate>` can be passed straight in
 * and a local candidate can be put straight into a `transport-info`.
 */

export type IceCandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** A remote candidate as Jingle carries it; extra fields (generation, network, id…) are ignored. */
export interface IceCandidateLike {
  foundation: string;
  component: number;
  /** 'udp' or 'tcp'; only UDP candidates are used. */
  protocol: string;
  priority: number;
  ip: string;
  port: number;
  type: string;
}

/** The gateway's own candidate, ready for a Jingle `<candidate>`. */
export interface LocalIceCandidate {
  foundation: string;
  component: number;
  protocol: 'udp';
  priority: number;
  ip: string;
  port: number;
  type: IceCandidateType;
  generation: number;
  network: number;
  id: string;
}

export interface FingerprintLike {
  /** Hash function name as on the wire: 'sha-256', 'sha-1', … */
  hash: string;
  /** Colon-separated hex, any case. */
  value: string;
}

export interface LocalTransportParameters {
  ufrag: string;
  pwd: string;
  candidates: LocalIceCandidate[];
  fingerprint: { hash: 'sha-256'; value: string };
}

export interface RemoteIceCredentials {
  ufrag: string;
  pwd: string;
}

export interface RemoteTransportParameters extends RemoteIceCredentials {
  candidates: IceCandidateLike[];
  fingerprints: FingerprintLike[];
}

export interface TransportAddress {
  host: string;
  port: number;
}

export type SrtpProfileName = 'AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM';

export interface BridgeTransportStats {
  state: BridgeTransportState;
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
  rtpIn: number;
  rtcpIn: number;
  rtpOut: number;
  rtcpOut: number;
  /** Packets dropped because SRTP/SRTCP authentication failed. */
  srtpAuthFailures: number;
  /** Packets dropped as replays (already received index). */
  srtpReplays: number;
  /** Datagrams dropped: unknown source, unparseable, or arrived before SRTP was ready. */
  dropped: number;
  /** Outgoing packets refused because the transport was not connected. */
  sendRefused: number;
  srtpProfile: SrtpProfileName | undefined;
  selectedPair: { local: TransportAddress; remote: TransportAddress } | undefined;
  /** Round-trip time of the last answered ICE check / consent request, ms. */
  rttMs: number | undefined;
}

export type BridgeTransportState = 'new' | 'checking' | 'handshaking' | 'connected' | 'failed' | 'closed';
