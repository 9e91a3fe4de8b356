/**
 * Tells apart what arrives on the one bundled, rtcp-muxed UDP socket (RFC 7983 §7, RFC 5761 §4):
 * the first byte separates STUN, DTLS and RTP/RTCP; within RTP/RTCP the second byte is an RTCP
 * packet type (192..223) or an RTP marker+payload type (payload types 64..95 are never used, so
 * the ranges don't collide).
 */
export const PacketKind = {
  Unknown: 0,
  Stun: 1,
  Dtls: 2,
  Rtp: 3,
  Rtcp: 4,
} as const;
export type PacketKind = (typeof PacketKind)[keyof typeof PacketKind];

export function classifyPacket(packet: Uint8Array): PacketKind {
  if (packet.length < 2) return PacketKind.Unknown;
  const first = packet[0] as number;
  if (first <= 3) return packet.length >= 20 ? PacketKind.Stun : PacketKind.Unknown;
  if (first >= 20 && first <= 63) return PacketKind.Dtls;
  if (first >= 128 && first <= 191) {
    const second = packet[1] as number;
    if (second >= 192 && second <= 223) return packet.length >= 8 ? PacketKind.Rtcp : PacketKind.Unknown;
    return packet.length >= 12 ? PacketKind.Rtp : PacketKind.Unknown;
  }
  return PacketKind.Unknown;
}

/** SSRC of an RTP packet (bytes 8..11); the caller has checked it is RTP of at least 12 bytes. */
export function rtpSsrc(packet: Uint8Array): number {
  return readU32(packet, 8);
}

/** Payload type of an RTP packet, without the marker bit. */
export function rtpPayloadType(packet: Uint8Array): number {
  return (packet[1] as number) & 0x7f;
}

export function rtpSequenceNumber(packet: Uint8Array): number {
  return ((packet[2] as number) << 8) | (packet[3] as number);
}

/** SSRC of the sender of the first RTCP packet of a compound packet (bytes 4..7). */
export function rtcpSenderSsrc(packet: Uint8Array): number {
  return readU32(packet, 4);
}

/**
 * Length of the RTP header including CSRCs and the header extension, or -1 when the packet is
 * too short for the header it announces.
 */
export function rtpHeaderLength(packet: Uint8Array, available: number = packet.length): number {
  if (available < 12) return -1;
  const first = packet[0] as number;
  let length = 12 + (first & 0x0f) * 4;
  if ((first & 0x10) !== 0) {
    if (available < length + 4) return -1;
    const words = ((packet[length + 2] as number) << 8) | (packet[length + 3] as number);
    length += 4 + words * 4;
  }
  return length <= available ? length : -1;
}

function readU32(p: Uint8Array, offset: number): number {
  return (
    (((p[offset] as number) << 24) |
      ((p[offset + 1] as number) << 16) |
      ((p[offset + 2] as number) << 8) |
      (p[offset + 3] as number)) >>>
    0
  );
}
