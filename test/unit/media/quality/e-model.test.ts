import { describe, expect, it } from 'vitest';
import { codecImpairment, combinedLoss, estimateMos, mosFromR, oneWayDelayMs, rFactor } from '../../../../src/media/quality/e-model.js';

const clean = { codec: 'PCMU', lossRatio: 0, jitterMs: 0, networkDelayMs: 0 };

describe('the simplified E-model', () => {
  it('maps R to MOS as G.107 Annex B does, clamped to 1..4.5', () => {
    // The narrowband ceiling: R 93.2 is the well-known 4.41.
    expect(mosFromR(93.2)).toBeCloseTo(4.41, 2);
    // 1 + 0.035·50 + 50·(−10)·50·7e-6 = 2.575
    expect(mosFromR(50)).toBeCloseTo(2.575, 3);
    expect(mosFromR(-5)).toBe(1);
    expect(mosFromR(120)).toBe(4.5);
  });

  it('rates a clean G.711 call near the narrowband ceiling', () => {
    // 20 ms frame + 20 ms minimum jitter buffer = 40 ms: Id = 0.96, R = 92.24.
    expect(oneWayDelayMs(clean)).toBe(40);
    expect(rFactor(clean)).toBeCloseTo(92.24, 2);
    expect(estimateMos(clean)).toBeCloseTo(4.39, 2);
  });

  it('applies G.113 Ie/Bpl to loss: 5 % on G.711 with PLC costs about half a MOS point', () => {
    // Ie,eff = 95·5 / (5 + 25.1) = 15.78; R = 92.24 − 15.78 = 76.46.
    const lossy = { ...clean, lossRatio: 0.05 };
    expect(rFactor(lossy)).toBeCloseTo(76.46, 1);
    expect(estimateMos(lossy)).toBeCloseTo(3.88, 1);
    expect(estimateMos({ ...clean, lossRatio: 0.2 })).toBeLessThan(estimateMos(lossy));
  });

  it('counts jitter as jitter-buffer delay and adds the steep term past 177.3 ms', () => {
    expect(oneWayDelayMs({ ...clean, jitterMs: 30 })).toBe(20 + 60);
    const far = { ...clean, networkDelayMs: 260 };
    // d = 300: Id = 7.2 + 0.11·122.7 = 20.7.
    expect(rFactor(far)).toBeCloseTo(93.2 - 7.2 - 0.11 * 122.7, 2);
    expect(estimateMos(far)).toBeLessThan(estimateMos(clean));
  });

  it('scores codecs without narrowband G.113 values like G.711 with PLC, plus their lookahead', () => {
    expect(codecImpairment('opus')).toMatchObject({ ie: 0, bpl: 25.1 });
    expect(codecImpairment('G722').lookaheadMs).toBeGreaterThan(0);
    expect(codecImpairment(undefined)).toEqual(codecImpairment('PCMA'));
    expect(estimateMos({ ...clean, codec: 'opus' })).toBeLessThanOrEqual(estimateMos(clean));
  });

  it('combines the loss of two legs in a row', () => {
    expect(combinedLoss(0.1, 0.1)).toBeCloseTo(0.19, 6);
    expect(combinedLoss(undefined, 0.05)).toBeCloseTo(0.05, 6);
    expect(combinedLoss()).toBe(0);
  });
});
