import { describe, expect, it } from 'vitest';
import {
  encodeAudioLevelByte,
  findAudioLevelByte,
  audioLevelFromByte,
  voiceFromByte,
  getHeaderExtension,
  parseRtp,
  readAudioLevel,
  readMid,
  serializeRtp,
  writeAudioLevel,
  writeMid,
} from '../../../../src/media/rtp/index.js';

function packetWith(exts: { id: number; data: Uint8Array }[]): Buffer {
  return serializeRtp({ payloadType: 111, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: Uint8Array.of(0xf8), extensions: exts });
}

describe('ssrc-audio-level (RFC 6464)', () => {
  it('puts the V bit on top of a 7-bit -dBov level', () => {
    expect(encodeAudioLevelByte(0, true)).toBe(0x80);
    expect(encodeAudioLevelByte(127, false)).toBe(0x7f);
    expect(encodeAudioLevelByte(30, true)).toBe(0x80 | 30);
    expect(encodeAudioLevelByte(200, false)).toBe(127);
    expect(encodeAudioLevelByte(-5, false)).toBe(0);
  });

  it('round-trips through a packet with the negotiated id', () => {
    const el = writeAudioLevel(42, true, 1);
    const v = parseRtp(packetWith([el, writeMid('audio', 10)]));
    expect(readAudioLevel(getHeaderExtension(v, 1)!)).toEqual({ level: 42, voice: true });
    const b = findAudioLevelByte(v, 1);
    expect(audioLevelFromByte(b)).toBe(42);
    expect(voiceFromByte(b)).toBe(true);
    expect(findAudioLevelByte(v, 2)).toBe(-1);
  });

  it('reuses the element object a sender keeps per stream', () => {
    const el = writeAudioLevel(10, false, 1);
    const again = writeAudioLevel(99, true, 1, el);
    expect(again).toBe(el);
    expect(el.data[0]).toBe(0x80 | 99);
  });
});

describe('sdes:mid', () => {
  it('round-trips a mid string', () => {
    const v = parseRtp(packetWith([writeMid('audio-0', 10)]));
    expect(readMid(getHeaderExtension(v, 10)!)).toBe('audio-0');
  });

  it('ignores trailing NUL padding and rejects empty values', () => {
    expect(readMid(Uint8Array.of(0x30, 0, 0))).toBe('0');
    expect(readMid(new Uint8Array(0))).toBeUndefined();
    expect(() => writeMid('', 10)).toThrow(RangeError);
  });

  it('uses the two-byte form automatically for a mid longer than 16 bytes', () => {
    const long = 'a-very-long-mid-value-xyz';
    const v = parseRtp(packetWith([writeMid(long, 10)]));
    expect(v.extensionProfile & 0xfff0).toBe(0x1000);
    expect(readMid(getHeaderExtension(v, 10)!)).toBe(long);
  });
});
