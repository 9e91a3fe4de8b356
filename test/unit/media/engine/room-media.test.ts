import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/log.js';
import { OpusCodec } from '../../../../src/media/codecs/opus.js';
import { PAYLOAD_AUDIO, RemoteStream, opusPacketTenthsMs } from '../../../../src/media/engine/remote-stream.js';
import { RoomMedia, type RoomMember } from '../../../../src/media/engine/room-media.js';
import { parseRtp, serializeRtp } from '../../../../src/media/rtp/packet.js';
import { ToneGenerator, detectTones } from '../../../support/audio.js';

function opusFrames(freqHz: number, count: number, rate: 8000 | 16000 = 16000): Buffer[] {
  const enc = new OpusCodec({ sampleRate: rate });
  const gen = new ToneGenerator(freqHz, rate, 8000);
  const out = Array.from({ length: count }, () => Buffer.from(enc.encode(gen.next(rate / 50))));
  enc.close();
  return out;
}

/** A member that "talks" a given tone and records what it hears. */
class FakeMember implements RoomMember {
  readonly heard: Int16Array[] = [];
  readonly #gen: ToneGenerator;
  constructor(
    readonly ssrc: number,
    readonly callerRate: number,
    freqHz: number,
  ) {
    this.#gen = new ToneGenerator(freqHz, callerRate, 6000);
  }
  uplink(): Int16Array | undefined {
    return this.#gen.next(this.callerRate / 50);
  }
  downlink(mix: Int16Array): void {
    this.heard.push(Int16Array.from(mix));
  }
  discardCallerFrames(): void {}
  audio(from = 0): Int16Array {
    const parts = this.heard.slice(from);
    const out = new Int16Array(parts.length * (this.callerRate / 50));
    parts.forEach((p, i) => out.set(p, i * p.length));
    return out;
  }
}

const options = { jitter: {}, skipDecodeLevel: 90, idleStreamMs: 30_000, logger: silentLogger() };

function rtp(ssrc: number, seq: number, payload: Uint8Array): ReturnType<typeof parseRtp> {
  return parseRtp(serializeRtp({ payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, ssrc, payload }));
}

describe('RemoteStream', () => {
  it('skips the decode of frames whose level says silence, and decodes the others', () => {
    const s = new RemoteStream(1, 8000, 0, { minDelayMs: 20 }, 90);
    const frames = opusFrames(500, 20);
    let out = 0;
    frames.forEach((f, i) => {
      s.push(i, i * 960, f, i * 20, PAYLOAD_AUDIO, false, i < 10 ? 127 : 20);
      if (s.playout() !== undefined) out++;
    });
    expect(s.counters.skippedSilent).toBeGreaterThanOrEqual(9);
    expect(s.counters.decoded).toBeGreaterThanOrEqual(9);
    expect(out).toBe(s.counters.decoded);
  });

  it('drops a second copy of a packet (another call transport) by sequence number', () => {
    const s = new RemoteStream(1, 8000, 0, {}, 90);
    const [f] = opusFrames(500, 1);
    expect(s.push(7, 0, f!, 0, PAYLOAD_AUDIO, false, 20)).toBe('stored');
    expect(s.push(7, 0, f!, 1, PAYLOAD_AUDIO, false, 20)).toBe('duplicate');
    expect(s.counters).toMatchObject({ received: 1, duplicates: 1 });
  });

  it('conceals nothing after silence (a loss there is silence too)', () => {
    const s = new RemoteStream(1, 8000, 0, { minDelayMs: 20 }, 90);
    const frames = opusFrames(500, 6);
    for (let i = 0; i < 6; i++) {
      if (i !== 3) s.push(i, i * 960, frames[i]!, i * 20, PAYLOAD_AUDIO, false, 127);
      s.playout();
    }
    expect(s.counters.concealed).toBe(0);
  });

  it('reads packet durations from the Opus TOC', () => {
    expect(opusPacketTenthsMs(Uint8Array.of((9 << 3) | 0))).toBe(200); // SILK WB 20 ms
    expect(opusPacketTenthsMs(Uint8Array.of((9 << 3) | 1, 0))).toBe(400); // two 20 ms frames
    expect(opusPacketTenthsMs(Uint8Array.of((31 << 3) | 3, 3))).toBe(600); // CELT 3 × 20 ms
    expect(opusPacketTenthsMs(Uint8Array.of(13 << 3))).toBe(200); // hybrid 20 ms
  });
});

describe('RoomMedia', () => {
  it('gives each member the remote speakers and the other members, never itself', () => {
    const room = new RoomMedia('r@muc', options);
    const a = new FakeMember(111, 8000, 1000);
    const b = new FakeMember(222, 8000, 1500);
    room.join(a);
    room.join(b);
    const frames = opusFrames(400, 60);
    for (let i = 0; i < 60; i++) {
      room.receive(rtp(9, i, frames[i]!), PAYLOAD_AUDIO, 20, i * 20);
      room.tick(i * 20);
    }
    expect(detectTones(a.audio(10), 8000, [400, 1000, 1500])).toEqual([400, 1500]);
    expect(detectTones(b.audio(10), 8000, [400, 1000, 1500])).toEqual([400, 1000]);
  });

  it("drops the bridge's copies of a member's own SSRC", () => {
    const room = new RoomMedia('r@muc', options);
    const a = new FakeMember(111, 8000, 1000);
    room.join(a);
    const [f] = opusFrames(400, 1);
    room.receive(rtp(111, 1, f!), PAYLOAD_AUDIO, 20, 0);
    expect(room.stats()).toMatchObject({ localEchoDropped: 1, streams: [] });
  });

  it('decodes at 16 kHz while a wideband member is present and mixes each member at its rate', () => {
    const room = new RoomMedia('r@muc', options);
    const nb = new FakeMember(1, 8000, 1000);
    const wb = new FakeMember(2, 16000, 1500);
    room.join(nb);
    room.join(wb);
    const frames = opusFrames(5000, 60);
    for (let i = 0; i < 60; i++) {
      room.receive(rtp(9, i, frames[i]!), PAYLOAD_AUDIO, 20, i * 20);
      room.tick(i * 20);
    }
    expect(room.decodeRate).toBe(16000);
    expect(detectTones(wb.audio(10), 16000, [1000, 1500, 5000])).toEqual([1000, 5000]);
    expect(detectTones(nb.audio(10), 8000, [1000, 1500])).toEqual([1500]);
    room.leave(wb);
    room.tick(60 * 20);
    expect(room.decodeRate).toBe(8000);
  });

  it('drops buffered input frames for ticks lost to a stall, keeping the latency', () => {
    const room = new RoomMedia('r@muc', { ...options, jitter: { minDelayMs: 20, jitterFactor: 0 } });
    room.join(new FakeMember(1, 8000, 1000));
    const frames = opusFrames(400, 40);
    for (let i = 0; i < 10; i++) {
      room.receive(rtp(9, i, frames[i]!), PAYLOAD_AUDIO, 20, i * 20);
      room.tick(i * 20);
    }
    const before = room.stats().streams[0]!.depthMs;
    // The engine stalls for 200 ms: ten packets arrive at once and the clock drops ten ticks.
    for (let i = 10; i < 20; i++) room.receive(rtp(9, i, frames[i]!), PAYLOAD_AUDIO, 20, 400);
    expect(room.stats().streams[0]!.depthMs).toBeGreaterThanOrEqual(before + 180);
    room.skipped(10);
    expect(room.stats().streams[0]!.depthMs).toBeLessThanOrEqual(before);
  });

  it('keeps owners from Jingle sources for the stats', () => {
    const room = new RoomMedia('r@muc', options);
    room.setOwners([{ ssrc: 9, owner: 'abcd1234' }]);
    const [f] = opusFrames(400, 1);
    room.receive(rtp(9, 1, f!), PAYLOAD_AUDIO, 20, 0);
    expect(room.stats().streams[0]).toMatchObject({ ssrc: 9, owner: 'abcd1234', received: 1 });
  });
});
