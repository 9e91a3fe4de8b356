import { describe, expect, it } from 'vitest';
import {
  decodeTelephoneEvent,
  DtmfReceiver,
  DtmfSender,
  dtmfDigit,
  dtmfEventCode,
  encodeTelephoneEvent,
  type DtmfDigitEvent,
  type DtmfPacket,
} from '../../../../src/media/rtp/index.js';

interface Sent {
  payload: Uint8Array;
  marker: boolean;
  timestamp: number;
  end: boolean;
}

/** Runs the sender tick by tick (160 timestamp units per 20 ms) until idle, copying each packet. */
function drain(sender: DtmfSender, startTs = 1000): Sent[] {
  const out: Sent[] = [];
  let ts = startTs;
  for (let tick = 0; tick < 500 && sender.busy; tick++, ts += 160) {
    const p: DtmfPacket | undefined = sender.next(ts);
    if (p) out.push({ payload: Uint8Array.from(p.payload), marker: p.marker, timestamp: p.timestamp, end: p.end });
  }
  return out;
}

function collect(receiver: DtmfReceiver): { digits: DtmfDigitEvent[]; ends: DtmfDigitEvent[] } {
  const digits: DtmfDigitEvent[] = [];
  const ends: DtmfDigitEvent[] = [];
  receiver.on('digit', (d) => digits.push(d));
  receiver.on('end', (d) => ends.push(d));
  return { digits, ends };
}

describe('telephone-event payload', () => {
  it('encodes and decodes event, end bit, volume and duration', () => {
    const bytes = encodeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 800 });
    expect([...bytes]).toEqual([11, 0x80 | 10, 0x03, 0x20]);
    expect(decodeTelephoneEvent(bytes)).toEqual({ event: 11, end: true, volume: 10, duration: 800 });
    expect(decodeTelephoneEvent(Uint8Array.of(1, 2, 3))).toBeUndefined();
  });

  it('maps digits to event codes and back', () => {
    expect([...'0123456789*#ABCD'].map(dtmfEventCode)).toEqual([...Array(16).keys()]);
    expect(dtmfEventCode('a')).toBe(12);
    expect(dtmfDigit(10)).toBe('*');
    expect(dtmfDigit(16)).toBeUndefined();
    expect(() => dtmfEventCode('x')).toThrow(RangeError);
  });
});

describe('DtmfSender', () => {
  it('sends the standard train: marker first, growing duration, three identical end packets', () => {
    const sender = new DtmfSender({ clockRate: 8000, durationMs: 100 });
    sender.enqueue('5');
    const packets = drain(sender);
    const events = packets.map((p) => decodeTelephoneEvent(p.payload)!);
    expect(packets.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(packets.map((p) => p.timestamp))).toEqual(new Set([1000]));
    expect(events.map((e) => e.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(events.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    expect(events.every((e) => e.event === 5 && e.volume === 10)).toBe(true);
    expect(sender.busy).toBe(false);
  });

  it('gives each queued press its own timestamp with a pause in between', () => {
    const sender = new DtmfSender({ clockRate: 8000, durationMs: 60, pauseMs: 40 });
    sender.enqueue('11');
    const packets = drain(sender, 0);
    const starts = packets.filter((p) => p.marker).map((p) => p.timestamp);
    expect(starts.length).toBe(2);
    // 60 ms = 3 packets, then 2 more end repeats = 5 ticks, then 2 ticks of pause.
    expect(starts[1]! - starts[0]!).toBe((5 + 2) * 160);
  });

  it('scales durations to the telephone-event clock rate', () => {
    const sender = new DtmfSender({ clockRate: 48000, durationMs: 40 });
    sender.enqueue('#');
    const durations = drain(sender).map((p) => decodeTelephoneEvent(p.payload)!.duration);
    expect(durations).toEqual([960, 1920, 1920, 1920]);
  });
});

describe('DtmfReceiver', () => {
  it('reports every digit of a sequence exactly once, including a repeated digit', () => {
    const sender = new DtmfSender();
    sender.enqueue('1123#');
    const receiver = new DtmfReceiver();
    const { digits, ends } = collect(receiver);
    for (const p of drain(sender)) receiver.receive(p.payload, p.timestamp);
    expect(digits.map((d) => d.digit).join('')).toBe('1123#');
    expect(ends.map((d) => d.digit).join('')).toBe('1123#');
    expect(ends.every((e) => e.durationMs === 100)).toBe(true);
    expect(new Set(digits.map((d) => d.timestamp)).size).toBe(5);
  });

  it('ignores duplicated and late retransmitted end packets', () => {
    const sender = new DtmfSender();
    sender.enqueue('12');
    const packets = drain(sender);
    const firstEnd = packets.findIndex((p) => p.end);
    // Duplicate every packet, and replay the first press's end packet after the second press started.
    const shuffled = packets.flatMap((p) => [p, p]);
    const secondStart = shuffled.findIndex((p) => p.marker && p.timestamp !== packets[0]!.timestamp);
    shuffled.splice(secondStart + 1, 0, packets[firstEnd]!);
    const receiver = new DtmfReceiver();
    const { digits, ends } = collect(receiver);
    for (const p of shuffled) receiver.receive(p.payload, p.timestamp);
    expect(digits.map((d) => d.digit)).toEqual(['1', '2']);
    expect(ends.map((d) => d.digit)).toEqual(['1', '2']);
  });

  it('still reports a press whose start and updates were lost, or whose end packets were all lost', () => {
    const sender = new DtmfSender();
    sender.enqueue('78');
    const packets = drain(sender);
    const t7 = packets[0]!.timestamp;
    // Press 7: only its end packets arrive. Press 8: its end packets are all lost.
    const survivors = packets.filter((p) => (p.timestamp === t7 ? p.end : !p.end));
    const receiver = new DtmfReceiver();
    const { digits, ends } = collect(receiver);
    const returned = survivors.map((p) => receiver.receive(p.payload, p.timestamp)?.digit);
    expect(returned.filter((d) => d !== undefined)).toEqual(['7', '8']);
    expect(digits.map((d) => d.digit)).toEqual(['7', '8']);
    expect(ends.map((d) => d.digit)).toEqual(['7']);
  });

  it('drops a stale packet of an older press that arrives after a newer press', () => {
    const receiver = new DtmfReceiver();
    const { digits } = collect(receiver);
    receiver.receive(encodeTelephoneEvent({ event: 2, end: false, volume: 10, duration: 160 }), 5000);
    receiver.receive(encodeTelephoneEvent({ event: 1, end: true, volume: 10, duration: 800 }), 4000);
    expect(digits.map((d) => d.digit)).toEqual(['2']);
  });
});
