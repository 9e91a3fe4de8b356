import { describe, expect, it } from 'vitest';
import { MultiRateRoomMixer, RoomMixer } from '../../../../src/media/mixer/index.js';
import { detectTones, ToneGenerator } from '../../../support/audio.js';

const FREQS = [500, 900, 1400];

/** Runs `ticks` ticks of three tone sources through the mixer, collecting each listener's output. */
function runThree(ticks: number): Map<string, Int16Array> {
  const mixer = new RoomMixer(160);
  const ids = ['alice', 'bob', 'carol'];
  const gens = FREQS.map((f) => new ToneGenerator(f, 8000, 6000));
  const heard = new Map(ids.map((id) => [id, new Int16Array(160 * ticks)]));
  const frame = new Int16Array(160);
  const out = new Int16Array(160);
  for (let t = 0; t < ticks; t++) {
    mixer.clear();
    ids.forEach((id, i) => mixer.setFrame(id, gens[i]!.fill(frame)));
    for (const id of ids) heard.get(id)!.set(mixer.mixFor(id, out), t * 160);
  }
  return heard;
}

describe('RoomMixer', () => {
  it('gives each caller everyone else and never themselves', () => {
    const heard = runThree(10);
    expect(detectTones(heard.get('alice')!, 8000, FREQS)).toEqual([900, 1400]);
    expect(detectTones(heard.get('bob')!, 8000, FREQS)).toEqual([500, 1400]);
    expect(detectTones(heard.get('carol')!, 8000, FREQS)).toEqual([500, 900]);
  });

  it('gives a listener without a frame of its own (null) the whole room', () => {
    const m = new RoomMixer(160);
    m.setFrame('a', Int16Array.from({ length: 160 }, () => 100));
    m.setFrame('b', Int16Array.from({ length: 160 }, () => -30));
    const out = new Int16Array(160);
    expect(m.mixFor(null, out)[7]).toBe(70);
    expect(m.mixFor('nobody', out)[7]).toBe(70);
    expect(m.mixFor('a', out)[7]).toBe(-30);
    expect(m.activeSources).toBe(2);
  });

  it('clamps a saturated sum to int16 but subtracts the listener before clamping', () => {
    const m = new RoomMixer(4);
    m.setFrame('a', Int16Array.of(30000, -30000, 20000, 0));
    m.setFrame('b', Int16Array.of(30000, -30000, 20000, 0));
    m.setFrame('c', Int16Array.of(10000, -10000, -20000, 5));
    const out = new Int16Array(4);
    expect([...m.mixFor(null, out)]).toEqual([32767, -32768, 20000, 5]);
    expect([...m.mixFor('c', out)]).toEqual([32767, -32768, 32767, 0]);
    expect([...m.mixFor('a', out)]).toEqual([32767, -32768, 0, 5]);
  });

  it('treats sources that did not set a frame this tick as silent, and forgets removed ones', () => {
    const m = new RoomMixer(2);
    const out = new Int16Array(2);
    m.setFrame('a', Int16Array.of(1, 2));
    m.setFrame('b', Int16Array.of(10, 20));
    m.clear();
    m.setFrame('b', Int16Array.of(10, 20));
    expect([...m.mixFor(null, out)]).toEqual([10, 20]);
    m.setFrame('a', Int16Array.of(1, 2));
    expect([...m.mixFor(null, out)]).toEqual([11, 22]); // the sum follows later setFrame calls
    m.removeSource('a');
    expect([...m.mixFor(null, out)]).toEqual([10, 20]);
    expect(m.activeSources).toBe(1);
  });

  it('copies frames, so callers may reuse their buffers', () => {
    const m = new RoomMixer(2);
    const buf = Int16Array.of(5, 5);
    m.setFrame('a', buf);
    buf.fill(0);
    expect([...m.mixFor(null, new Int16Array(2))]).toEqual([5, 5]);
  });
});

describe('MultiRateRoomMixer', () => {
  it('mixes narrowband and wideband callers, each at its own rate, without hearing themselves', () => {
    const mixer = new MultiRateRoomMixer();
    const callers = [
      { id: 'nb1', rate: 8000 as const, freq: 600 },
      { id: 'wb1', rate: 16000 as const, freq: 1100 },
      { id: 'wb2', rate: 16000 as const, freq: 2300 },
      { id: 'remote', rate: 16000 as const, freq: 3000 }, // a remote speaker, decoded once
    ];
    const gens = callers.map((c) => new ToneGenerator(c.freq, c.rate, 5000));
    const ticks = 15;
    const heard = new Map(callers.map((c) => [c.id, new Int16Array((c.rate / 50) * ticks)]));
    for (let t = 0; t < ticks; t++) {
      mixer.clear();
      callers.forEach((c, i) => mixer.setFrame(c.id, gens[i]!.next(c.rate / 50), c.rate));
      for (const c of callers.slice(0, 3)) {
        const out = new Int16Array(c.rate / 50);
        heard.get(c.id)!.set(mixer.mixFor(c.id, c.rate, out), t * out.length);
      }
    }
    const freqs = callers.map((c) => c.freq);
    const tail = (id: string, rate: number): Int16Array => heard.get(id)!.subarray((rate / 50) * 3);
    expect(detectTones(tail('nb1', 8000), 8000, freqs)).toEqual([1100, 2300, 3000]);
    expect(detectTones(tail('wb1', 16000), 16000, freqs)).toEqual([600, 2300, 3000]);
    expect(detectTones(tail('wb2', 16000), 16000, freqs)).toEqual([600, 1100, 3000]);
  });

  it('removes a wideband source that a narrowband listener would otherwise hear aliased', () => {
    const mixer = new MultiRateRoomMixer();
    const gen = new ToneGenerator(6000, 16000, 10000);
    const out = new Int16Array(160 * 10);
    for (let t = 0; t < 10; t++) {
      mixer.clear();
      mixer.setFrame('wb', gen.next(320), 16000);
      out.set(mixer.mixFor('nb', 8000, new Int16Array(160)), t * 160);
    }
    // 6 kHz would fold to 2 kHz at 8 kHz without the anti-alias filter.
    let energy = 0;
    for (const v of out.subarray(480)) energy += v * v;
    expect(Math.sqrt(energy / (out.length - 480))).toBeLessThan(10000 * 0.01);
  });
});

describe('MultiRateRoomMixer conversions', () => {
  it('gives the same audio when a frame arrives after the first mix of a tick', () => {
    const run = (lateFrame: boolean): Int16Array => {
      const mixer = new MultiRateRoomMixer();
      const wb = new ToneGenerator(1200, 16000, 7000);
      const nb = new ToneGenerator(450, 8000, 7000);
      const heard = new Int16Array(160 * 12);
      const out = new Int16Array(160);
      for (let t = 0; t < 12; t++) {
        mixer.clear();
        mixer.setFrame('nb', nb.next(160), 8000);
        if (lateFrame) mixer.mixFor('nb', 8000, out); // mixed too early, before the wideband frame
        mixer.setFrame('wb', wb.next(320), 16000);
        heard.set(mixer.mixFor('nb', 8000, out), t * 160);
      }
      return heard;
    };
    expect([...run(true)]).toEqual([...run(false)]);
  });

  it('refuses to mix a source at a rate other than the one it sends at', () => {
    const mixer = new MultiRateRoomMixer();
    mixer.setFrame('nb', new Int16Array(160), 8000);
    expect(() => mixer.mixFor('nb', 16000, new Int16Array(320))).toThrow(RangeError);
  });
});
