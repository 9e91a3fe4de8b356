import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/log.js';
import { BridgeReceiver } from '../../../../src/media/engine/bridge-receiver.js';
import { RoomMedia, type RoomMember } from '../../../../src/media/engine/room-media.js';
import { serializeRtp } from '../../../../src/media/rtp/packet.js';

const LEVEL_ID = 1;
const AUDIO = { mid: 'audio', opusPt: 111, opusParameters: {}, telephoneEventPt: 126, audioLevelExtId: LEVEL_ID };

/** What SRTP leaves on the wire: a clear header (with the level) and a payload of ciphertext. */
function wire(ssrc: number, seq: number, level: number | undefined, pt = 111): Buffer {
  return serializeRtp({
    payloadType: pt,
    sequenceNumber: seq,
    timestamp: seq * 960,
    ssrc,
    payload: randomBytes(40),
    extensions: level === undefined ? [] : [{ id: LEVEL_ID, data: Uint8Array.of(level) }],
  });
}

function setup(): { receiver: BridgeReceiver; room: RoomMedia } {
  const room = new RoomMedia('room@conference', { jitter: {}, skipDecodeLevel: 90, idleStreamMs: 30_000, logger: silentLogger() });
  const receiver = new BridgeReceiver(() => {});
  receiver.audio = AUDIO;
  receiver.room = room;
  return { receiver, room };
}

describe('BridgeReceiver.prefilter', () => {
  it('takes in silent Opus packets from the header alone, moving the stream on as a decrypted one would', () => {
    const { receiver, room } = setup();
    for (let seq = 0; seq < 5; seq++) expect(receiver.prefilter(wire(0xaaaa, seq, 127))).toBe(false);
    const stream = room.stats().streams.find((s) => s.ssrc === 0xaaaa);
    expect(stream?.received).toBe(5);
    // No gap in what the reports to the bridge count as lost.
    expect(receiver.lost).toBe(0);
    for (let i = 0; i < 5; i++) room.tick(i * 20);
    const played = room.stats().streams.find((s) => s.ssrc === 0xaaaa);
    expect(played?.decoded).toBe(0);
    expect(played?.skippedSilent).toBeGreaterThan(0);
    expect(played?.lost).toBe(0);
    room.close();
  });

  it('counts a skipped packet as bridge media for the media timeout', () => {
    const { receiver, room } = setup();
    const start = performance.now();
    receiver.connected(start - 10_000);
    expect(receiver.prefilter(wire(0xaaaa, 1, 127))).toBe(false);
    expect(receiver.timedOut(performance.now(), 5_000)).toBe(false);
    expect(receiver.timedOut(performance.now() + 5_000, 5_000)).toBe(true);
    room.close();
  });

  it('wants the payload of audible audio, of telephone events, of packets without a level, and outside a room', () => {
    const { receiver, room } = setup();
    expect(receiver.prefilter(wire(0xaaaa, 1, 30))).toBe(true);
    expect(receiver.prefilter(wire(0xaaaa, 2, 127, 126))).toBe(true);
    expect(receiver.prefilter(wire(0xaaaa, 3, undefined))).toBe(true);
    expect(room.stats().streams).toHaveLength(0);
    receiver.room = undefined;
    expect(receiver.prefilter(wire(0xaaaa, 4, 127))).toBe(true);
    room.close();
  });

  it('does not decrypt the copies of a web speaker\'s packet that other calls of the room receive', () => {
    const { receiver, room } = setup();
    const other = new BridgeReceiver(() => {});
    other.audio = AUDIO;
    other.room = room;
    const first = wire(0xaaaa, 1, 30);
    expect(receiver.prefilter(first)).toBe(true);
    receiver.rtp(first);
    // The same packet on the second call's transport: its payload is already buffered.
    expect(other.prefilter(wire(0xaaaa, 1, 30))).toBe(false);
    // Not yet seen: decrypted as usual.
    const second = wire(0xaaaa, 2, 30);
    expect(other.prefilter(second)).toBe(true);
    other.rtp(second);
    const stream = room.stats().streams.find((s) => s.ssrc === 0xaaaa);
    expect(stream?.received).toBe(2);
    expect(stream?.duplicates).toBe(1);
    // A copy arriving after its packet was played is a duplicate too.
    for (let seq = 3; seq <= 6; seq++) receiver.rtp(wire(0xaaaa, seq, 30));
    for (let i = 0; i < 6; i++) room.tick(i * 20);
    const played = room.stats().streams.find((s) => s.ssrc === 0xaaaa);
    expect((played?.decoded ?? 0) + (played?.decodeErrors ?? 0)).toBeGreaterThan(0);
    expect(other.prefilter(wire(0xaaaa, 1, 30))).toBe(false);
    expect(room.stats().streams.find((s) => s.ssrc === 0xaaaa)?.duplicates).toBe(2);
    // Each transport still counts what it received, for its own reports to the bridge.
    expect(other.lost).toBe(0);
    room.close();
  });

  it('does not need the payload of a local caller\'s echo, whatever its level', () => {
    const { receiver, room } = setup();
    const member: RoomMember = {
      ssrc: 0x5555,
      callerRate: 8000,
      uplink: () => undefined,
      discardCallerFrames: () => {},
      downlink: () => {},
    };
    room.join(member);
    expect(receiver.prefilter(wire(0x5555, 1, 20))).toBe(false);
    expect(room.stats().localEchoDropped).toBe(1);
    room.close();
  });
});
