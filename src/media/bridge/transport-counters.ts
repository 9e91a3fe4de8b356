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

  snapshot(): {
    packetsIn: number;
    bytesIn: number;
    packetsOut: number;
    bytesOut: number;
    rtpIn: number;
    rtcpIn: number;
    rtpOut: number;
    rtcpOut: number;
    dropped: number;
    sendRefused: number;
  } {
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
