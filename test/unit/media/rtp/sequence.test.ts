import { describe, expect, it } from 'vitest';
import { extendSeq, seqAdd, seqDiff, seqLessThan, SequenceTracker, tsAdd, tsDiff, tsLessThan } from '../../../../src/media/rtp/index.js';

describe('sequence and timestamp arithmetic', () => {
  it('compares 16-bit sequence numbers across the wrap', () => {
    expect(seqDiff(65535, 0)).toBe(1);
    expect(seqDiff(0, 65535)).toBe(-1);
    expect(seqLessThan(65530, 3)).toBe(true);
    expect(seqLessThan(3, 65530)).toBe(false);
    expect(seqAdd(65535, 2)).toBe(1);
    expect(extendSeq(2, 0x1fffe)).toBe(0x20002);
    expect(extendSeq(65534, 0x20001)).toBe(0x1fffe);
  });

  it('compares 32-bit timestamps across the wrap', () => {
    expect(tsDiff(0xffffff00, 0x100)).toBe(0x200);
    expect(tsLessThan(0xffffff00, 5)).toBe(true);
    expect(tsLessThan(5, 0xffffff00)).toBe(false);
    expect(tsAdd(0xffffffff, 960)).toBe(959);
  });
});

describe('SequenceTracker', () => {
  it('extends across wraps and counts loss for report blocks', () => {
    const t = new SequenceTracker();
    const seqs = [65533, 65534, 0, 1, 3, 2, 5];
    const ext = seqs.map((s) => t.update(s));
    expect(ext).toEqual([65533, 65534, 65536, 65537, 65539, 65538, 65541]);
    expect(t.highestExtended).toBe(65541);
    expect(t.extendedHighestForReport).toBe(0x10005);
    expect(t.expected).toBe(9);
    expect(t.received).toBe(7);
    expect(t.cumulativeLost).toBe(2);
    expect(t.takeFractionLost()).toBe(Math.floor((2 * 256) / 9));
    t.update(6);
    expect(t.takeFractionLost()).toBe(0);
  });

  it('accepts a far jump only once the following packet confirms it', () => {
    const t = new SequenceTracker();
    for (let s = 100; s < 110; s++) t.update(s);
    expect(t.update(40000)).toBe(-1); // stray packet: ignored
    expect(t.update(110)).toBe(110);
    expect(t.update(50000)).toBe(-1);
    const ext = t.update(50001);
    expect(ext & 0xffff).toBe(50001);
    expect(ext).toBeGreaterThan(110);
    expect(t.restarts).toBe(1);
    expect(t.received).toBe(1);
  });
});
