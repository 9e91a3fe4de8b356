import type { BridgeTransportStats } from './types.js';

/** The counters of a BridgeTransportStats. */
export type TransportCounterSnapshot = Pick<
  BridgeTransportStats,
  'packetsIn' | 'bytesIn' | 'packetsOut' | 'bytesOut' | 'rtpIn' | 'rtcpIn' | 'rtpOut' | 'rtcpOut' | 'dropped' | 'sendRefused'
>;

/** Plain counters bumped on the packet path (no allocation), read through snapshot(). */
export class TransportCounters {
  packetsIn = 0;
  bytesIn = 0;
  packetsOut = 0;
  bytesOut = 0;
  rtpIn = 0;
  rtcpIn = 0;
  rtpOut = 0;
  rtcpOut = 0;
  dropped = 0;
  sendRefused = 0;

  countIn(bytes: number): void {
    this.packetsIn++;
    this.bytesIn += bytes;
  }

  /** `rtcp` true/false for SRTCP/SRTP; undefined for STUN and DTLS. */
  countOut(bytes: number, rtcp: boolean | undefined): void {
    this.packetsOut++;
    this.bytesOut += bytes;
    if (rtcp === true) this.rtcpOut++;
    else if (rtcp === false) this.rtpOut++;
  }

  snapshot(): TransportCounterSnapshot {
    return {
      packetsIn: this.packetsIn,
      bytesIn: this.bytesIn,
      packetsOut: this.packetsOut,
      bytesOut: this.bytesOut,
      rtpIn: this.rtpIn,
      rtcpIn: this.rtcpIn,
      rtpOut: this.rtpOut,
      rtcpOut: this.rtcpOut,
      dropped: this.dropped,
      sendRefused: this.sendRefused,
    };
  }
}
