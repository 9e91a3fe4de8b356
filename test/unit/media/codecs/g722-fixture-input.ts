/**
 * Deterministic input of the G.722 interop fixture: a few tones plus pseudo-random noise built
 * with integer arithmetic only, so the same samples come out on any machine.
 */
export function g722FixtureInput(samples = 1600): Int16Array {
  const out = new Int16Array(samples);
  // Integer sine approximation through a tiny recursive oscillator would drift; instead use a
  // 64-entry integer sine table and integer phase accumulators.
  const table = Int16Array.from({ length: 64 }, (_, i) => Math.round(8192 * Math.sin((2 * Math.PI * i) / 64)));
  let seed = 12345;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  for (let i = 0; i < samples; i++) {
    p1 = (p1 + 3) & 63; // 750 Hz at 16 kHz
    p2 = (p2 + 11) & 63; // 2750 Hz
    p3 = (p3 + 23) & 63; // 5750 Hz (higher sub-band)
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const noise = ((seed >>> 16) & 0x7ff) - 1024;
    out[i] = table[p1]! + (table[p2]! >> 1) + (table[p3]! >> 2) + noise;
  }
  return out;
}
