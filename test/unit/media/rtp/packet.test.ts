import { describe, expect, it } from 'vitest';
import {
  createRtpPacketView,
  findAudioLevelByte,
  getHeaderExtension,
  listHeaderExtensions,
  parseRtp,
  rtpPacketSize,
  serializeRtp,
  tryParseRtp,
  tryParseRtpHeader,
  writeRtp,
  RtpParseError,
  type RtpPacketInit,
} from '../../../../src/media/rtp/index.js';

const payload = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);

function base(overrides: Partial<RtpPacketInit> = {}): RtpPacketInit {
  return {
    payloadType: 111,
    sequenceNumber: 0xfffe,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    marker: true,
    payload,
    ...overrides,
  };
}

describe('RTP packet', () => {
  it('round-trips the fixed header and payload', () => {
    const buf = serializeRtp(base());
    expect(buf.length).toBe(12 + payload.length);
    expect(buf[0]).toBe(0x80);
    expect(buf[1]).toBe(0x80 | 111);
    const v = parseRtp(buf);
    expect(v).toMatchObject({
      marker: true,
      payloadType: 111,
      sequenceNumber: 0xfffe,
      timestamp: 0xfffffff0,
      ssrc: 0xdeadbeef,
      padding: false,
      extension: false,
      extensionProfile: -1,
    });
    expect([...v.payload]).toEqual([...payload]);
  });

  it('parses zero-copy: the payload is a view into the datagram', () => {
    const buf = serializeRtp(base());
    const v = parseRtp(buf);
    expect(v.payload.buffer).toBe(buf.buffer);
    buf[buf.length - 1] = 99;
    expect(v.payload[v.payload.length - 1]).toBe(99);
  });

  it('parses the header alone without views, and still finds its extensions', () => {
    const bytes = serializeRtp(base({ marker: true, extensions: [{ id: 1, data: Uint8Array.of(0x9e) }, { id: 3, data: Uint8Array.of(7, 8) }] }));
    const full = parseRtp(bytes);
    const view = tryParseRtpHeader(bytes, createRtpPacketView());
    expect(view).toMatchObject({ marker: true, payloadType: 111, sequenceNumber: 0xfffe, ssrc: full.ssrc, timestamp: full.timestamp });
    expect(view!.headerLength).toBe(full.headerLength);
    expect(view!.payload.length).toBe(0);
    expect(view!.extensionData.length).toBe(0);
    expect(findAudioLevelByte(view!, 1)).toBe(0x9e);
    expect(findAudioLevelByte(view!, 2)).toBe(-1);
    expect(tryParseRtpHeader(bytes.subarray(0, 14), createRtpPacketView())).toBeUndefined();
  });

  it('round-trips CSRCs', () => {
    const csrcs = [1, 0x80000000, 0xffffffff];
    const buf = serializeRtp(base({ csrcs }));
    expect(buf[0]! & 0x0f).toBe(3);
    const v = parseRtp(buf);
    expect(v.csrcs).toEqual(csrcs);
    expect([...v.payload]).toEqual([...payload]);
  });

  it('round-trips one-byte header extensions and pads the block to 32 bits', () => {
    const exts = [
      { id: 1, data: Uint8Array.of(0x85) },
      { id: 10, data: new TextEncoder().encode('0') },
      { id: 14, data: new Uint8Array(16).fill(7) },
    ];
    const buf = serializeRtp(base({ extensions: exts }));
    const v = parseRtp(buf);
    expect(v.extensionProfile).toBe(0xbede);
    expect(v.extensionData.length % 4).toBe(0);
    expect(listHeaderExtensions(v).map((e) => [e.id, [...e.data]])).toEqual(exts.map((e) => [e.id, [...e.data]]));
    expect([...getHeaderExtension(v, 10)!]).toEqual([0x30]);
    expect(getHeaderExtension(v, 2)).toBeUndefined();
    expect([...v.payload]).toEqual([...payload]);
  });

  it('switches to the two-byte form when an element needs it', () => {
    const exts = [
      { id: 1, data: Uint8Array.of(0x10) },
      { id: 200, data: new Uint8Array(20).fill(3) },
      { id: 5, data: new Uint8Array(0) },
    ];
    const buf = serializeRtp(base({ extensions: exts, extensionAppBits: 0x5 }));
    const v = parseRtp(buf);
    expect(v.extensionProfile).toBe(0x1005);
    const parsed = listHeaderExtensions(v);
    expect(parsed.map((e) => [e.id, e.data.length])).toEqual([
      [1, 1],
      [200, 20],
      [5, 0],
    ]);
    expect([...getHeaderExtension(v, 200)!]).toEqual(new Array(20).fill(3));
  });

  it('skips padding bytes between one-byte elements and stops at id 15', () => {
    // Hand-built: profile 0xBEDE, 2 words: [id1 len1: 0xAA], pad, pad, [id2 len1: 0xBB], [id15], junk
    const pkt = Uint8Array.from([
      0x90, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 2, 0x10, 0xaa, 0, 0, 0x20, 0xbb, 0xf0, 0x30, 9, 9,
    ]);
    const v = parseRtp(pkt);
    expect(getHeaderExtension(v, 1)![0]).toBe(0xaa);
    expect(getHeaderExtension(v, 2)![0]).toBe(0xbb);
    expect(getHeaderExtension(v, 3)).toBeUndefined();
    expect([...v.payload]).toEqual([9, 9]);
  });

  it('round-trips padding and excludes it from the payload', () => {
    const buf = serializeRtp(base({ paddingLength: 5 }));
    expect(buf[0]! & 0x20).toBe(0x20);
    expect(buf[buf.length - 1]).toBe(5);
    const v = parseRtp(buf);
    expect(v.padding).toBe(true);
    expect(v.paddingLength).toBe(5);
    expect([...v.payload]).toEqual([...payload]);
  });

  it('writes into a caller-provided buffer and refills a reused view', () => {
    const out = Buffer.alloc(1500);
    const init = base({ csrcs: [7], extensions: [{ id: 1, data: Uint8Array.of(3) }] });
    const written = serializeRtp(init, out);
    expect(written.buffer).toBe(out.buffer);
    expect(written.length).toBe(rtpPacketSize(init));
    expect(writeRtp(init, out, 100)).toBe(written.length);
    expect(out.subarray(100, 100 + written.length).equals(written)).toBe(true);

    const view = createRtpPacketView();
    parseRtp(written, view);
    expect(view.csrcs).toEqual([7]);
    parseRtp(serializeRtp(base()), view);
    expect(view.csrcs).toEqual([]);
    expect(view.extensionProfile).toBe(-1);
  });

  it('refuses to write into a buffer that is too small', () => {
    expect(() => serializeRtp(base(), Buffer.alloc(10))).toThrow(RangeError);
  });

  it('rejects malformed packets', () => {
    const good = serializeRtp(base({ csrcs: [1, 2], extensions: [{ id: 1, data: Uint8Array.of(1) }] }));
    expect(() => parseRtp(good.subarray(0, 11))).toThrow(RtpParseError);
    const v1 = Buffer.from(good);
    v1[0] = (v1[0]! & 0x3f) | 0x40; // version 1
    expect(tryParseRtp(v1)).toBeUndefined();
    expect(tryParseRtp(good.subarray(0, 16))).toBeUndefined(); // CSRC list cut
    expect(tryParseRtp(good.subarray(0, 22))).toBeUndefined(); // extension cut
    const badPad = Buffer.from(serializeRtp(base()));
    badPad[0] = badPad[0]! | 0x20;
    badPad[badPad.length - 1] = 200;
    expect(tryParseRtp(badPad)).toBeUndefined();
    expect(tryParseRtp(good)).toBeDefined();
  });
});
