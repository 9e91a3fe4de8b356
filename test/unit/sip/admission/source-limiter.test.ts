import { describe, expect, it } from 'vitest';
import { SourceLimiter } from '../../../../src/sip/admission/source-limiter.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('SourceLimiter', () => {
  it('lets a burst through, then one request per token, and says when the next token comes', () => {
    const c = clock();
    const l = new SourceLimiter({ perSecond: 10, burst: 5, now: c.now });
    for (let i = 0; i < 5; i++) expect(l.take('192.0.2.1').allowed).toBe(true);
    const refused = l.take('192.0.2.1');
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1, first: true });
    expect(l.take('192.0.2.1')).toMatchObject({ allowed: false, first: false });
    c.advance(100); // one token at 10/s
    expect(l.take('192.0.2.1').allowed).toBe(true);
    expect(l.take('192.0.2.1').allowed).toBe(false);
  });

  it('gives a slow rate a Retry-After of the seconds until the next token', () => {
    const c = clock();
    const l = new SourceLimiter({ perSecond: 0.25, burst: 1, now: c.now });
    expect(l.take('192.0.2.1').allowed).toBe(true);
    expect(l.take('192.0.2.1')).toMatchObject({ allowed: false, retryAfterSeconds: 4 });
  });

  it('keeps one source from spending another source\'s budget', () => {
    const c = clock();
    const l = new SourceLimiter({ perSecond: 1, burst: 2, now: c.now });
    for (let i = 0; i < 50; i++) l.take('192.0.2.1');
    expect(l.take('198.51.100.7').allowed).toBe(true);
    expect(l.take('198.51.100.7').allowed).toBe(true);
  });

  it('never limits exempt sources, and nothing when the rate is 0', () => {
    const c = clock();
    const l = new SourceLimiter({ perSecond: 1, burst: 1, exempt: (a) => a.startsWith('10.'), now: c.now });
    for (let i = 0; i < 100; i++) expect(l.take('10.0.0.5').allowed).toBe(true);
    expect(l.size).toBe(0);
    const off = new SourceLimiter({ perSecond: 0, burst: 1, now: c.now });
    expect(off.enabled).toBe(false);
    for (let i = 0; i < 100; i++) expect(off.take('192.0.2.1').allowed).toBe(true);
  });

  it('forgets sources once their bucket is full again', () => {
    const c = clock();
    const l = new SourceLimiter({ perSecond: 10, burst: 20, now: c.now }); // refills in 2 s
    for (let i = 0; i < 100; i++) l.take(`192.0.2.${i}`);
    expect(l.size).toBe(100);
    c.advance(1000);
    l.take('198.51.100.1');
    expect(l.size).toBe(101);
    c.advance(1500);
    l.take('198.51.100.2');
    // The 100 are idle (2.5 s); 198.51.100.1 is not yet (1.5 s).
    expect(l.size).toBe(2);
  });

  it('holds at most maxSources entries under a flood of ever-new addresses, keeping the recent ones', () => {
    const c = clock();
    const l = new SourceLimiter({ perSecond: 1, burst: 1, maxSources: 1000, now: c.now });
    l.take('198.51.100.7');
    const busy: boolean[] = [];
    for (let i = 0; i < 50_000; i++) {
      l.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 100 === 0) busy.push(l.take('198.51.100.7').allowed); // a busy source stays recent
    }
    expect(l.size).toBe(1000);
    // Its bucket survived every eviction (a recreated one would have let a request through).
    expect(busy.filter((a) => a)).toEqual([]);
  });
});
