import { describe, expect, it } from 'vitest';
import { Readiness } from '../../../src/app/readiness.js';

describe('Readiness', () => {
  it('is ready when no check fails, and names every failing check otherwise', () => {
    let xmpp: string | undefined;
    let full: string | undefined;
    const r = new Readiness([
      { name: 'xmpp', retryAfterSeconds: 5, problem: () => xmpp },
      { name: 'capacity', retryAfterSeconds: 10, problem: () => full },
    ]);
    expect(r.problems()).toEqual({});
    expect(r.sipVerdict()).toEqual({ ready: true });

    xmpp = 'brewery session is offline';
    expect(r.problems()).toEqual({ xmpp: 'brewery session is offline' });
    expect(r.sipVerdict()).toEqual({ ready: false, reason: 'brewery session is offline', retryAfterSeconds: 5 });

    // The longest wait any problem asks for wins: a prober must not come back before all are gone.
    full = 'at capacity: 2 of 2 calls';
    expect(r.sipVerdict()).toEqual({ ready: false, reason: 'brewery session is offline; at capacity: 2 of 2 calls', retryAfterSeconds: 10 });

    xmpp = undefined;
    full = undefined;
    expect(r.sipVerdict()).toEqual({ ready: true });
  });
});
