import { describe, expect, it } from 'vitest';
import { JitterBuffer, type JitterPop } from '../../../../src/media/jitter/index.js';

const STEP = 960; // 20 ms at the Opus RTP clock

/** Small deterministic PRNG so that "random" loss and delay are the same in every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

interface Arrival {
  seq: number;
  ts: number;
  at: number;
}

function payloadFor(seq: number): Uint8Array {
  return Uint8Array.of(seq >> 8, seq & 0xff, 0xaa);
}

function seqOf(p: Uint8Array): number {
  return (p[0]! << 8) | p[1]!;
}

/**
 * Feeds arrivals into the buffer on a 20 ms tick clock (ticks at 10, 30, 50 ... ms) and records
 * what each pop returned, as a sequence number, 'missing', or undefined.
 */
function run(jb: JitterBuffer, arrivals: Arrival[], ticks: number): Array<number | 'missing' | undefined> {
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  const out: Array<number | 'missing' | undefined> = [];
  let k = 0;
  for (let t = 0; t < ticks; t++) {
    const now = 10 + t * 20;
    while (k < sorted.length && sorted[k]!.at <= now) {
      const a = sorted[k++]!;
      jb.push(a.seq & 0xffff, a.ts, payloadFor(a.seq & 0xffff), a.at, 111);
    }
    const p: JitterPop = jb.pop();
    out.push(p === undefined ? undefined : p === 'missing' ? 'missing' : seqOf(p));
  }
  return out;
}

function steady(count: number, firstSeq = 65500, firstTs = 0xfffff000, jitter?: (i: number) => number): Arrival[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: firstSeq + i,
    ts: (firstTs + i * STEP) >>> 0,
    at: i * 20 + (jitter ? jitter(i) : 1),
  }));
}

describe('JitterBuffer', () => {
  it('returns nothing before the first packet and until the start depth is buffered', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    expect(jb.pop()).toBeUndefined();
    jb.push(1, 0, payloadFor(1), 0);
    expect(jb.pop()).toBeUndefined(); // 20 ms buffered, target 40
    jb.push(2, STEP, payloadFor(2), 20);
    const p = jb.pop();
    expect(p instanceof Uint8Array && seqOf(p)).toBe(1);
    expect(jb.lastTimestamp).toBe(0);
    expect(jb.lastPayloadType).toBe(0);
  });

  it('plays a continuous sequence with "missing" exactly where 10% of packets were lost, despite reordering', () => {
    const rand = prng(7);
    const arrivals = steady(500);
    const lost = new Set<number>();
    for (const a of arrivals.slice(3, -3)) if (rand() < 0.1) lost.add(a.seq);
    // Swap the arrival times of every 7th packet with its successor: reordered by one packet.
    for (let i = 5; i + 1 < arrivals.length; i += 7) {
      const at = arrivals[i]!.at;
      arrivals[i]!.at = arrivals[i + 1]!.at + 1;
      arrivals[i + 1]!.at = at;
    }
    const jb = new JitterBuffer({ clockRate: 48000 });
    const played = run(
      jb,
      arrivals.filter((a) => !lost.has(a.seq)),
      520,
    );
    const startIdx = played.findIndex((p) => p !== undefined);
    const stream = played.slice(startIdx, startIdx + 497);
    expect(stream).not.toContain(undefined); // no underrun once started
    const expected = arrivals.slice(0, 497).map((a) => (lost.has(a.seq) ? 'missing' : a.seq & 0xffff));
    expect(stream).toEqual(expected);
    const stats = jb.stats();
    expect(lost.size).toBeGreaterThan(30);
    expect(stats.lost).toBe(lost.size);
    expect(stats.late).toBe(0);
    expect(stats.received).toBe(500 - lost.size);
  });

  it('ignores duplicates, before and after the original was played', () => {
    const arrivals = steady(50);
    const dupes = arrivals.flatMap((a, i) => (i % 5 === 0 ? [a, { ...a, at: a.at + (i % 10 === 0 ? 2 : 90) }] : [a]));
    const jb = new JitterBuffer({ clockRate: 48000 });
    const played = run(jb, dupes, 60).filter((p) => p !== undefined);
    expect(played.slice(0, 47)).toEqual(arrivals.slice(0, 47).map((a) => a.seq & 0xffff));
    expect(jb.stats().duplicates).toBe(10);
    expect(jb.stats().late).toBe(0);
  });

  it('drops a packet that arrives after its frame was declared missing', () => {
    const arrivals = steady(30);
    arrivals[10]!.at += 200;
    const jb = new JitterBuffer({ clockRate: 48000 });
    const played = run(jb, arrivals, 40).filter((p) => p !== undefined);
    expect(played[10]).toBe('missing');
    expect(played[11]).toBe(arrivals[11]!.seq & 0xffff);
    expect(jb.stats()).toMatchObject({ late: 1, lost: 1 });
  });

  it('measures interarrival jitter with the RFC 3550 estimator', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    run(jb, steady(300, 0, 0, (i) => (i % 2 === 0 ? 0 : 10)), 310);
    // Every transit difference is ±10 ms, so J converges to 10 ms = 480 timestamp units.
    const s = jb.stats();
    expect(s.jitterMs).toBeGreaterThan(9.5);
    expect(s.jitterMs).toBeLessThan(10.01);
    expect(s.jitterTimestampUnits).toBeGreaterThan(455);
  });

  it('grows its depth with jitter and shrinks it slowly once the network calms down', () => {
    const rand = prng(3);
    const jb = new JitterBuffer({ clockRate: 48000, shrinkAfterMs: 1000 });
    const calmStart = 400;
    const arrivals = steady(1400, 1000, 5000, (i) => (i < calmStart ? rand() * 70 : 1));
    const sorted = [...arrivals].sort((a, b) => a.at - b.at);
    const targets: number[] = [];
    const depths: number[] = [];
    let k = 0;
    for (let t = 0; t < 1410; t++) {
      const now = 10 + t * 20;
      while (k < sorted.length && sorted[k]!.at <= now) {
        const a = sorted[k++]!;
        jb.push(a.seq, a.ts, payloadFor(a.seq), a.at);
      }
      jb.pop();
      targets.push(jb.targetMs);
      depths.push(jb.depthMs);
    }
    const peak = Math.max(...targets.slice(0, calmStart));
    expect(targets[0]).toBe(40);
    expect(peak).toBeGreaterThanOrEqual(100);
    expect(peak).toBeLessThanOrEqual(200);
    // Shrinking is gradual: one frame at a time, the first a second after the calm began (the
    // shrink time), the next ones at least 100 ms apart (a tenth of it).
    let lastChange = -1;
    for (let t = calmStart + 1; t < targets.length; t++) {
      if (targets[t]! < targets[t - 1]!) {
        expect(targets[t - 1]! - targets[t]!).toBe(20);
        expect(t - (lastChange >= 0 ? lastChange : calmStart)).toBeGreaterThanOrEqual(lastChange >= 0 ? 5 : 50);
        lastChange = t;
      }
    }
    expect(targets[targets.length - 1]).toBe(40);
    expect(Math.max(...depths.slice(-50))).toBeLessThanOrEqual(60);
    expect(jb.stats().dropped).toBeGreaterThan(0);
  });

  it('restarts on a confirmed far sequence jump (sender restart) and ignores a single stray packet', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    const first = steady(20, 100, 1000);
    const stray = { seq: 40000, ts: 99, at: 205 };
    const second = steady(20, 30000, 777777).map((a) => ({ ...a, at: a.at + 400 }));
    const played = run(jb, [...first, stray, ...second], 45).filter((p) => p !== undefined);
    expect(played.slice(0, 18)).toEqual(first.slice(0, 18).map((a) => a.seq));
    expect(played).not.toContain(40000);
    // The first packet of the new numbering is on probation; the stream continues from the second.
    const resumed = played.indexOf(30001);
    expect(resumed).toBeGreaterThan(0);
    expect(played.slice(resumed, resumed + 15)).toEqual(second.slice(1, 16).map((a) => a.seq));
    expect(jb.stats().resyncs).toBe(1);
  });

  it('plays the first frame of a talk-spurt after a long silence the bridge did not forward', () => {
    const jb = new JitterBuffer({ clockRate: 48000 });
    // 20 frames, then 6 s (300 frames) the bridge dropped as silence, then a spurt whose first
    // packet carries the marker: its sequence and timestamp both moved on by 320 frames.
    const played: Array<number | 'missing' | undefined> = [];
    for (let t = 0; t < 360; t++) {
      const i = t < 20 ? t : t >= 320 ? t : -1;
      if (i >= 0) jb.push(1000 + i, i * STEP, payloadFor(1000 + i), 10 + t * 20 - 9, 111, i === 320);
      const p = jb.pop();
      played.push(p === undefined ? undefined : p === 'missing' ? 'missing' : seqOf(p));
    }
    const spurt = played.filter((p) => typeof p === 'number' && p >= 1320);
    expect(spurt.slice(0, 20)).toEqual([...Array(20).keys()].map((k) => 1320 + k));
    expect(jb.stats().resyncs).toBe(1);
  });

  it('takes back speculative "missing" frames when a delayed packet shows the drought was a delay spike', () => {
    const jb = new JitterBuffer({ clockRate: 48000, maxConcealMs: 100 });
    const a = steady(10, 0, 0);
    const b = steady(10, 10, 10 * STEP).map((x) => ({ ...x, at: x.at + 200 + 70 })); // 70 ms late
    const played = run(jb, [...a, ...b], 40);
    const start = played.indexOf(0);
    const spike = played.slice(start + 10, played.indexOf(10));
    // While nothing arrives the clock runs on with 'missing' (PLC); then it buffers up again.
    expect(spike.length).toBeGreaterThan(0);
    expect(spike.every((p) => p === 'missing' || p === undefined)).toBe(true);
    // Every delayed packet is still heard, in order, and none counts as lost or late.
    expect(played.filter((p) => typeof p === 'number')).toEqual([...Array(20).keys()]);
    expect(jb.stats()).toMatchObject({ lost: 0, late: 0 });
  });

  it('treats a drought longer than the concealment window as a pause and resumes where packets resume', () => {
    const jb = new JitterBuffer({ clockRate: 48000, maxConcealMs: 100 });
    const a = steady(10, 0, 0);
    const b = steady(10, 10, 10 * STEP).map((x) => ({ ...x, at: x.at + 200 + 1000 })); // 1 s pause
    const played = run(jb, [...a, ...b], 100);
    const start = played.indexOf(0);
    // Ten frames, five ticks of 'missing' (it could have been loss), then nothing until the pause ends.
    expect(played.slice(start, start + 16)).toEqual([...[...Array(10).keys()], ...Array(5).fill('missing'), undefined]);
    expect(played.filter((p) => typeof p === 'number')).toEqual([...Array(20).keys()]);
    // Underruns: the pause, and the end of the stream.
    expect(jb.stats()).toMatchObject({ lost: 0, late: 0, underruns: 2 });
  });

  it('keeps the clock running through a burst of lost packets at the newest end', () => {
    const arrivals = steady(40, 0, 0).filter((a) => a.seq < 20 || a.seq > 22);
    const jb = new JitterBuffer({ clockRate: 48000 });
    const played = run(jb, arrivals, 41); // stop right after seq 39 has played
    const start = played.indexOf(0);
    const stream = played.slice(start, start + 40);
    expect(stream).toEqual([...Array(40).keys()].map((s) => (s >= 20 && s <= 22 ? 'missing' : s)));
    expect(jb.stats()).toMatchObject({ lost: 3, late: 0, underruns: 0 });
  });

  it('rejects payloads larger than a slot and keeps telephone-event packets in sequence', () => {
    const jb = new JitterBuffer({ clockRate: 8000, maxPayloadBytes: 200 });
    expect(jb.push(1, 0, new Uint8Array(201), 0)).toBe('too-large');
    expect(jb.push(1, 0, new Uint8Array(160), 0, 0)).toBe('stored');
    expect(jb.push(2, 160, Uint8Array.of(5, 0x0a, 0, 160), 20, 101, true)).toBe('stored');
    expect(jb.push(2, 160, Uint8Array.of(5, 0x0a, 0, 160), 21, 101, true)).toBe('duplicate');
    jb.pop();
    const ev = jb.pop();
    expect(ev instanceof Uint8Array && ev.length).toBe(4);
    expect(jb.lastPayloadType).toBe(101);
    expect(jb.lastMarker).toBe(true);
    expect(jb.lastSequence).toBe(2);
  });

  it('keeps the newest frames when nobody pops for longer than its capacity', () => {
    const jb = new JitterBuffer({ clockRate: 48000, capacity: 32 });
    for (let s = 0; s < 100; s++) jb.push(s, s * STEP, payloadFor(s), s * 20);
    expect(jb.depthMs).toBe(32 * 20);
    expect(jb.stats().dropped).toBe(100 - 32);
    const p = jb.pop();
    expect(p instanceof Uint8Array && seqOf(p)).toBe(68);
  });

  /**
   * A steady stream whose packets 100..111 are held up 240 ms and then arrive together (a delay
   * spike): the buffer ends up about 12 frames over its 40 ms target. Returns the depth after
   * each tick, from the tick the last held packet arrived at.
   */
  function afterSpike(level: number): number[] {
    const jb = new JitterBuffer({ clockRate: 48000, shrinkAfterMs: 2000 });
    const depths: number[] = [];
    let spikeEnd = -1;
    for (let t = 0; t < 1000; t++) {
      const now = 10 + t * 20;
      // Packet i is sent at 20·i ms and normally arrives 1 ms later; 100..111 arrive at 2221 ms.
      const arriving = t >= 100 && t <= 111 ? [] : t === 111 + 1 ? [...Array(13).keys()].map((k) => 100 + k) : [t];
      for (const i of arriving) jb.push(i, i * STEP, payloadFor(i), now - 9, 111, false, level);
      if (t === 112) spikeEnd = t;
      jb.pop();
      if (spikeEnd >= 0) depths.push(jb.depthMs);
    }
    return depths;
  }

  it('gives back what a delay spike left behind within seconds, silent frames first', () => {
    const speech = afterSpike(-1);
    const silence = afterSpike(100);
    expect(speech[0]).toBeGreaterThanOrEqual(200);
    expect(silence[0]).toBeGreaterThanOrEqual(200);
    // Two or more frames too deep: a speech frame goes every 400 ms, a silent one every 200 ms,
    // down to the target, which the spike's jitter raised to 120 ms; the target comes down two
    // seconds after the spike and then a frame every 200 ms. Before, the same took 18 s.
    const back = (depths: number[]): number => depths.findIndex((d) => d <= 60);
    expect(back(speech)).toBeGreaterThan(0);
    expect(back(speech)).toBeLessThanOrEqual(12 * 20);
    expect(back(silence)).toBeLessThanOrEqual(100 + 4 * 10 + 10);
    expect(back(silence)).toBeLessThan(back(speech));
    // Depth is read after each pop: 20 ms is the 40 ms target met, 40 ms one frame over it. That
    // last extra frame waits the full shrink time (it may be jitter, not delay).
    const oneOver = speech.findIndex((d) => d <= 40);
    expect(speech.findIndex((d) => d <= 20) - oneOver).toBeGreaterThanOrEqual(100);
  });
});
