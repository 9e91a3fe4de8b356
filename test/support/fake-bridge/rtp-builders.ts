/** Minimal RTP/RTCP packets for transport tests (the real packet module lives in src/media/rtp). */

export function rtpPacket(ssrc: number, seq: number, payload: Buffer, payloadType = 111): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = payloadType & 0x7f;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE((seq * 960) >>> 0, 4);
  header.writeUInt32BE(ssrc >>> 0, 8);
  return Buffer.concat([header, payload]);
}

/** An RTCP receiver report from `ssrc` with one report block about `about`. */
export function receiverReport(ssrc: number, about: number): Buffer {
  const p = Buffer.alloc(32);
  p[0] = 0x81;
  p[1] = 201;
  p.writeUInt16BE(p.length / 4 - 1, 2);
  p.writeUInt32BE(ssrc >>> 0, 4);
  p.writeUInt32BE(about >>> 0, 8);
  return p;
}

export function ssrcOf(rtp: Buffer): number {
  return rtp.readUInt32BE(8);
}
