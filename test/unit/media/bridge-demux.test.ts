import { describe, expect, it } from 'vitest';
import {
  classifyPacket,
  PacketKind,
  rtcpSenderSsrc,
  rtpHeaderLength,
  rtpPayloadType,
  rtpSequenceNumber,
  rtpSsrc,
} from '../../../src/media/bridge/packet-demux.js';

function packet(first: number, second: number, length: number): Buffer {
  const p = Buffer.alloc(length);
  p[0] = first;
  p[1] = second;
  return p;
}

describe('packet demultiplexing (RFC 7983 / RFC 5761)', () => {
  it('classifies by the first byte: STUN 0-3, DTLS 20-63, RTP/RTCP 128-191', () => {
    expect(classifyPacket(packet(0x00, 0x01, 20))).toBe(PacketKind.Stun);
    expect(classifyPacket(packet(0x01, 0x01, 28))).toBe(PacketKind.Stun);
    expect(classifyPacket(packet(22, 0xfe, 40))).toBe(PacketKind.Dtls); // handshake record
    expect(classifyPacket(packet(23, 0xfe, 40))).toBe(PacketKind.Dtls); // application data
    expect(classifyPacket(packet(0x80, 111, 40))).toBe(PacketKind.Rtp);
    expect(classifyPacket(packet(0x80, 0x80 | 111, 40))).toBe(PacketKind.Rtp); // marker bit
    expect(classifyPacket(packet(0x90, 126, 40))).toBe(PacketKind.Rtp);
  });

  it('tells RTCP from RTP by the packet type in the second byte', () => {
    for (const pt of [200, 201, 202, 203, 205, 206]) {
      expect(classifyPacket(packet(0x81, pt, 32))).toBe(PacketKind.Rtcp);
    }
    expect(classifyPacket(packet(0x80, 191, 32))).toBe(PacketKind.Rtp);
    expect(classifyPacket(packet(0x80, 224, 32))).toBe(PacketKind.Rtp);
  });

  it('rejects other ranges and packets too short for their kind', () => {
    expect(classifyPacket(packet(64, 0, 40))).toBe(PacketKind.Unknown); // TURN channel
    expect(classifyPacket(packet(10, 0, 40))).toBe(PacketKind.Unknown); // ZRTP range
    expect(classifyPacket(packet(200, 0, 40))).toBe(PacketKind.Unknown);
    expect(classifyPacket(packet(0x00, 0x01, 19))).toBe(PacketKind.Unknown);
    expect(classifyPacket(packet(0x80, 111, 11))).toBe(PacketKind.Unknown);
    expect(classifyPacket(packet(0x80, 200, 7))).toBe(PacketKind.Unknown);
    expect(classifyPacket(Buffer.alloc(1, 0x80))).toBe(PacketKind.Unknown);
  });

  it('reads SSRC, sequence number and payload type without parsing the packet', () => {
    const p = Buffer.from('80ef1234000003c0deadbeef', 'hex');
    expect(rtpSsrc(p)).toBe(0xdeadbeef);
    expect(rtpSequenceNumber(p)).toBe(0x1234);
    expect(rtpPayloadType(p)).toBe(111);
    expect(rtcpSenderSsrc(Buffer.from('81c90007cafebabe', 'hex'))).toBe(0xcafebabe);
  });

  it('computes the RTP header length with CSRCs and a header extension', () => {
    const plain = Buffer.alloc(20, 0);
    plain[0] = 0x80;
    expect(rtpHeaderLength(plain)).toBe(12);
    const withCsrc = Buffer.alloc(30, 0);
    withCsrc[0] = 0x82; // two CSRCs
    expect(rtpHeaderLength(withCsrc)).toBe(20);
    const withExt = Buffer.alloc(30, 0);
    withExt[0] = 0x90;
    withExt.writeUInt16BE(0xbede, 12);
    withExt.writeUInt16BE(2, 14); // two 32-bit words
    expect(rtpHeaderLength(withExt)).toBe(24);
    expect(rtpHeaderLength(withExt, 20)).toBe(-1); // extension runs past the end
    expect(rtpHeaderLength(Buffer.alloc(8, 0x80))).toBe(-1);
  });
});
