import { describe, expect, it } from 'vitest';
import { CallerRtpSender } from '../../../../src/media/caller/rtp-sender.js';
import { createCodec, type CodecName } from '../../../../src/media/codecs/index.js';
import { decodeTelephoneEvent } from '../../../../src/media/rtp/dtmf.js';
import { parseRtp, type RtpPacketView } from '../../../../src/media/rtp/packet.js';
import { ToneGenerator } from '../../../support/audio.js';

function makeSender(codecName: CodecName, pt: number, tePt: number | null = 101) {
  const codec = createCodec(codecName, { sampleRate: 16000 });
  const sent: RtpPacketView[] = [];
  const sender = new CallerRtpSender({ codec, payloadType: pt, telephoneEventPt: tePt ?? undefined }, (buf, len) =>
    sent.push(parseRtp(Buffer.from(buf.subarray(0, len)))),
  );
  const tone = new ToneGenerator(440, codec.sampleRate, 6000);
  return { codec, sender, sent, frame: () => tone.next(codec.frameSamples) };
}

describe('CallerRtpSender', () => {
  it.each([
    ['PCMU', 0, 160, 160],
    ['PCMA', 8, 160, 160],
    ['G722', 9, 160, 160], // 320 samples at 16 kHz, but an 8000 Hz RTP clock
    ['opus', 111, 960, undefined], // 48000 Hz clock whatever the PCM rate
  ] as const)('packetizes %s with the RTP clock step, not the PCM rate', (name, pt, step, payloadBytes) => {
    const { sender, sent, frame, codec } = makeSender(name, pt);
    for (let i = 0; i < 5; i++) sender.tick(frame(), true, i * 20);
    codec.close?.();
    expect(sent).toHaveLength(5);
    for (let i = 1; i < 5; i++) {
      expect(sent[i]!.sequenceNumber).toBe((sent[0]!.sequenceNumber + i) & 0xffff);
      expect(sent[i]!.timestamp).toBe((sent[0]!.timestamp + i * step) >>> 0);
      expect(sent[i]!.ssrc).toBe(sender.ssrc);
      expect(sent[i]!.payloadType).toBe(pt);
    }
    if (payloadBytes !== undefined) expect(sent[0]!.payload.length).toBe(payloadBytes);
    expect(sent.map((p) => p.marker)).toEqual([true, false, false, false, false]);
  });

  it('marks the first packet after a pause in ticks and keeps the timestamp in step with time', () => {
    const { sender, sent, frame } = makeSender('PCMU', 0);
    sender.tick(frame(), true, 0);
    sender.tick(frame(), true, 20);
    sender.tick(frame(), true, 220); // 200 ms later: 9 frames never sent
    expect(sent[2]!.marker).toBe(true);
    expect(sent[2]!.timestamp).toBe((sent[1]!.timestamp + 10 * 160) >>> 0);
  });

  it('sends nothing on hold, counts the frames, and marks the first packet after it', () => {
    const { sender, sent, frame } = makeSender('PCMA', 8);
    sender.tick(frame(), true, 0);
    sender.tick(frame(), false, 20);
    sender.tick(frame(), false, 40);
    sender.tick(frame(), true, 60);
    expect(sent).toHaveLength(2);
    expect(sender.counters.suppressed).toBe(2);
    expect(sent[1]!.marker).toBe(true);
    expect(sent[1]!.timestamp).toBe((sent[0]!.timestamp + 3 * 160) >>> 0);
    expect(sent[1]!.sequenceNumber).toBe((sent[0]!.sequenceNumber + 1) & 0xffff);
  });

  it('replaces voice by the RFC 4733 train while a digit lasts, then resumes voice', () => {
    const { sender, sent, frame } = makeSender('PCMU', 0, 101);
    sender.tick(frame(), true, 0);
    expect(sender.queueDtmf('5', 100)).toBe(true);
    for (let i = 1; i <= 12; i++) sender.tick(frame(), true, i * 20);
    const te = sent.filter((p) => p.payloadType === 101);
    // 100 ms at 8000 Hz = 800 units: four updates, then the end packet three times.
    expect(te).toHaveLength(7);
    const firstTe = sent.findIndex((p) => p.payloadType === 101);
    expect(sent.slice(firstTe, firstTe + 7).every((p) => p.payloadType === 101)).toBe(true);
    expect(te.every((p) => p.timestamp === te[0]!.timestamp)).toBe(true);
    expect(te.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    const events = te.map((p) => decodeTelephoneEvent(p.payload)!);
    expect(events.every((e) => e.event === 5)).toBe(true);
    expect(events.slice(-3).every((e) => e.end && e.duration === 800)).toBe(true);
    expect(sent.at(-1)!.payloadType).toBe(0);
    expect(sender.dtmfBusy).toBe(false);
    expect(sender.counters.dtmfPackets).toBe(7);
  });

  it('refuses DTMF without a negotiated telephone-event', () => {
    const { sender } = makeSender('PCMU', 0, null);
    expect(sender.canSendDtmf).toBe(false);
    expect(sender.queueDtmf('1')).toBe(false);
  });

  it('rejects a frame of the wrong size', () => {
    const { sender } = makeSender('G722', 9);
    expect(() => sender.tick(new Int16Array(160), true, 0)).toThrow(RangeError);
  });

  it('keeps SSRC and sequence across a codec change and marks the next packet', () => {
    const { sender, sent, frame } = makeSender('PCMU', 0);
    sender.tick(frame(), true, 0);
    sender.tick(frame(), true, 20);
    const g722 = createCodec('G722');
    sender.setFormat({ codec: g722, payloadType: 9, telephoneEventPt: 101 });
    sender.tick(new Int16Array(320), true, 40);
    expect(sent[2]).toMatchObject({ payloadType: 9, ssrc: sender.ssrc, marker: true });
    expect(sent[2]!.sequenceNumber).toBe((sent[1]!.sequenceNumber + 1) & 0xffff);
    expect(sent[2]!.payload.length).toBe(160);
  });
});
