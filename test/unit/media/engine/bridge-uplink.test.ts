import { describe, expect, it } from 'vitest';
import { OpusCodec } from '../../../../src/media/codecs/opus.js';
import { BridgeUplink } from '../../../../src/media/engine/bridge-uplink.js';
import { buildCompoundReport, ReceptionTracker } from '../../../../src/media/rtp/rtcp-reports.js';
import { findAudioLevelByte, readMid } from '../../../../src/media/rtp/header-extensions.js';
import { getHeaderExtension, ONE_BYTE_EXTENSION_PROFILE, parseRtp, type RtpPacketView } from '../../../../src/media/rtp/packet.js';
import { parseRtcp } from '../../../../src/media/rtp/rtcp.js';
import { ToneGenerator, detectTones } from '../../../support/audio.js';

const FORMAT = { payloadType: 111, audioLevelExtId: 1, midExtId: 10, mid: 'audio' };

function uplink(silenceGate = true, silenceIntervalTicks = 1): { up: BridgeUplink; sent: RtpPacketView[] } {
  const up = new BridgeUplink({
    ssrc: 0xabcdef01,
    complexity: 5,
    inbandFec: true,
    silenceGate,
    gateLevel: 55,
    gateHangoverFrames: 15,
    silenceIntervalTicks,
  });
  up.setFormat(FORMAT);
  return { up, sent: [] };
}

function collect(sent: RtpPacketView[]): (p: Buffer) => boolean {
  return (p) => {
    sent.push(parseRtp(Buffer.from(p)));
    return true;
  };
}

describe('BridgeUplink', () => {
  it('sends Opus with our SSRC, the negotiated PT, audio level and mid in one-byte extensions', () => {
    const { up, sent } = uplink();
    const gen = new ToneGenerator(700, 8000, 8000);
    for (let i = 0; i < 30; i++) up.tick(gen.next(160), false, i * 20, collect(sent));
    const p = sent[5]!;
    expect(p).toMatchObject({ ssrc: 0xabcdef01, payloadType: 111, extensionProfile: ONE_BYTE_EXTENSION_PROFILE });
    const level = findAudioLevelByte(p, 1);
    expect(level & 0x7f).toBe(15);
    expect(level & 0x80).toBe(0x80);
    expect(readMid(getHeaderExtension(p, 10)!)).toBe('audio');
    for (let i = 1; i < sent.length; i++) {
      expect(sent[i]!.sequenceNumber).toBe((sent[i - 1]!.sequenceNumber + 1) & 0xffff);
      expect(sent[i]!.timestamp).toBe((sent[i - 1]!.timestamp + 960) >>> 0);
    }
    // Only the talk-spurt start is marked.
    expect(sent.map((s) => s.marker)).toEqual([true, ...Array<boolean>(29).fill(false)]);
    const dec = new OpusCodec({ sampleRate: 8000 });
    const pcm = sent.slice(5).flatMap((s) => Array.from(dec.decode(s.payload)));
    expect(detectTones(pcm, 8000, [500, 700, 900])).toEqual([700]);
  });

  it('sends pre-encoded silence at level 127 for quiet frames, muted frames and missing audio', () => {
    const { up, sent } = uplink();
    const quiet = new ToneGenerator(700, 8000, 20); // about -64 dBov
    for (let i = 0; i < 20; i++) up.tick(quiet.next(160), false, i * 20, collect(sent));
    up.tick(undefined, false, 400, collect(sent));
    up.tick(new ToneGenerator(700, 8000, 8000).next(160), true, 420, collect(sent));
    expect(up.counters).toMatchObject({ encoded: 0, silence: 22, packets: 22 });
    expect(sent.every((s) => findAudioLevelByte(s, 1) === 127)).toBe(true);
    expect(new Set(sent.map((s) => Buffer.from(s.payload).toString('hex'))).size).toBe(1);
    expect(sent.some((s) => s.marker)).toBe(false);
  });

  it('sends one silence frame in every interval, the first as soon as the speech ends', () => {
    const { up, sent } = uplink(true, 20);
    const loud = new ToneGenerator(700, 8000, 8000);
    const quiet = new ToneGenerator(700, 8000, 20);
    let t = 0;
    for (let i = 0; i < 10; i++) up.tick(loud.next(160), false, (t++) * 20, collect(sent));
    // The gate holds 15 frames after the speech; then 45 silent ticks.
    for (let i = 0; i < 60; i++) up.tick(quiet.next(160), false, (t++) * 20, collect(sent));
    for (let i = 0; i < 5; i++) up.tick(loud.next(160), false, (t++) * 20, collect(sent));
    const silent = sent.filter((s) => findAudioLevelByte(s, 1) === 127);
    expect(silent.length).toBe(3); // ticks 25, 45 and 65
    expect(up.counters).toMatchObject({ silence: 3, silenceHeld: 42 });
    // Sequence numbers stay consecutive over what was sent; timestamps follow real time.
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.sequenceNumber).toBe((sent[i - 1]!.sequenceNumber + 1) & 0xffff);
    expect((silent[1]!.timestamp - silent[0]!.timestamp) >>> 0).toBe(20 * 960);
    // Speech after the silence starts a talk-spurt.
    const resumed = sent.findIndex((s, i) => i > 0 && findAudioLevelByte(s, 1) !== 127 && findAudioLevelByte(sent[i - 1]!, 1) === 127);
    expect(sent[resumed]!.marker).toBe(true);
    expect(sent.filter((s) => s.marker)).toHaveLength(2);
  });

  it('encodes quiet frames too when the gate is off', () => {
    const { up, sent } = uplink(false);
    const quiet = new ToneGenerator(700, 8000, 20);
    for (let i = 0; i < 5; i++) up.tick(quiet.next(160), false, i * 20, collect(sent));
    expect(up.counters.encoded).toBe(5);
  });

  it('moves the timestamp over missed ticks and marks the next talk-spurt', () => {
    const { up, sent } = uplink();
    const gen = new ToneGenerator(700, 8000, 8000);
    up.tick(gen.next(160), false, 0, collect(sent));
    up.tick(gen.next(160), false, 20, collect(sent));
    up.tick(gen.next(160), false, 120, collect(sent)); // four ticks missed
    expect((sent[2]!.timestamp - sent[1]!.timestamp) >>> 0).toBe(5 * 960);
    expect(sent[2]!.marker).toBe(true);
  });

  it('keeps the sequence when the transport refuses a packet', () => {
    const { up } = uplink();
    const gen = new ToneGenerator(700, 8000, 8000);
    expect(up.tick(gen.next(160), false, 0, () => false)).toBe(false);
    expect(up.counters).toMatchObject({ packets: 0, notSent: 1 });
  });
});

describe('bridge RTCP', () => {
  it('reports loss and jitter per remote SSRC in a sender report with our CNAME', () => {
    const rx = new ReceptionTracker();
    for (let seq = 0; seq < 50; seq++) if (seq % 10 !== 3) rx.onRtp(0x1234, seq, seq * 960, true, seq * 20);
    rx.onSenderReport(0x1234, 0x11223344, 0x55667788, 900);
    const report = buildCompoundReport(
      { ssrc: 0xabcdef01, cname: 'gw-cname', packets: 50, octets: 4000, lastRtpTimestamp: 96000, lastSendMs: 1000 },
      rx.reportBlocks(1000),
      1000,
      Date.UTC(2024, 0, 1),
    );
    const [sr, sdes] = parseRtcp(report);
    expect(sr).toMatchObject({ kind: 'sr', ssrc: 0xabcdef01, packetCount: 50, octetCount: 4000, rtpTimestamp: 96000 });
    if (sr?.kind !== 'sr') throw new Error('no SR');
    const block = sr.reports[0]!;
    expect(block).toMatchObject({ ssrc: 0x1234, cumulativeLost: 5, highestSeq: 49, lastSr: 0x33445566 });
    expect(block.fractionLost).toBe(Math.floor((5 * 256) / 50));
    expect(block.delaySinceLastSr).toBe(Math.round(0.1 * 65536));
    expect(sdes).toMatchObject({ kind: 'other', type: 202 });
    if (sdes?.kind !== 'other') throw new Error('no SDES');
    expect(Buffer.from(sdes.raw).includes(Buffer.from('gw-cname'))).toBe(true);
  });
});
