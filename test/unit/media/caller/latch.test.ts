import { describe, expect, it } from 'vitest';
import { SymmetricRtpLatch } from '../../../../src/media/caller/latch.js';

describe('SymmetricRtpLatch', () => {
  it('sends to the SDP address until the first packet, then to its source', () => {
    const latch = new SymmetricRtpLatch();
    latch.setSignalled('192.0.2.10', 4000);
    expect([latch.targetAddress, latch.targetPort]).toEqual(['192.0.2.10', 4000]);
    expect(latch.consider('198.51.100.7', 31000, 1, 0)).toBe('latched');
    expect([latch.targetAddress, latch.targetPort]).toEqual(['198.51.100.7', 31000]);
    expect(latch.consider('198.51.100.7', 31000, 1, 20)).toBe('current');
    expect(latch.latchedTo).toBe('198.51.100.7:31000');
  });

  it('has no destination for a 0.0.0.0 hold address until packets arrive', () => {
    const latch = new SymmetricRtpLatch();
    latch.setSignalled('0.0.0.0', 4000);
    expect(latch.targetAddress).toBeUndefined();
    expect(latch.consider('198.51.100.7', 31000, 1, 0)).toBe('latched');
    expect(latch.targetAddress).toBe('198.51.100.7');
  });

  it('keeps the latch through an old-style 0.0.0.0 hold and its unhold', () => {
    const latch = new SymmetricRtpLatch();
    latch.setSignalled('10.0.0.2', 4000);
    latch.consider('198.51.100.7', 31000, 1, 0);
    latch.setSignalled('0.0.0.0', 4000);
    expect(latch.isLatched).toBe(true);
    latch.setSignalled('10.0.0.2', 4000);
    expect(latch.latchedTo).toBe('198.51.100.7:31000');
  });

  it('gives the call back to the signalled source when a stray stream latched first', () => {
    const latch = new SymmetricRtpLatch({ relatchAfterSilenceMs: 1500 });
    latch.setSignalled('192.0.2.10', 4000);
    // An old call's phone still sending to this port got there first.
    expect(latch.consider('198.51.100.66', 5000, 0x01d, 0)).toBe('latched');
    expect(latch.consider('198.51.100.66', 5000, 0x01d, 20)).toBe('current');
    // The phone the SDP names takes over at once, and the stray one is a stranger from then on.
    expect(latch.consider('192.0.2.10', 4000, 0xca11, 30)).toBe('latched');
    expect(latch.consider('198.51.100.66', 5000, 0x01d, 40)).toBe('rejected');
    expect(latch.latchedTo).toBe('192.0.2.10:4000');
    // Any other source still needs the latched SSRC or the latched source's silence.
    expect(latch.consider('203.0.113.9', 4000, 0xbad, 50)).toBe('rejected');
  });

  it('follows a NAT rebinding at once when the SSRC is the same', () => {
    const latch = new SymmetricRtpLatch({ relatchAfterSilenceMs: 1500 });
    latch.setSignalled('10.0.0.2', 4000);
    latch.consider('198.51.100.7', 31000, 0xabc, 0);
    expect(latch.consider('198.51.100.7', 31002, 0xabc, 40)).toBe('latched');
    expect(latch.targetPort).toBe(31002);
    expect(latch.latchCount).toBe(2);
  });

  it('refuses a second source with another SSRC while the latched one is alive', () => {
    const latch = new SymmetricRtpLatch({ relatchAfterSilenceMs: 1500 });
    latch.consider('198.51.100.7', 31000, 1, 0);
    latch.consider('198.51.100.7', 31000, 1, 1000);
    expect(latch.consider('203.0.113.66', 5000, 2, 1100)).toBe('rejected');
    expect(latch.consider('203.0.113.66', 5000, 2, 2499)).toBe('rejected');
    expect(latch.targetAddress).toBe('198.51.100.7');
    expect(latch.rejected).toBe(2);
  });

  it('lets a new source take over once the latched one has been silent long enough', () => {
    const latch = new SymmetricRtpLatch({ relatchAfterSilenceMs: 1500 });
    latch.consider('198.51.100.7', 31000, 1, 0);
    expect(latch.consider('198.51.100.7', 32000, 2, 1500)).toBe('latched');
    expect(latch.targetPort).toBe(32000);
  });

  it('keeps the latch when new SDP repeats the same address, drops it when the address changes', () => {
    const latch = new SymmetricRtpLatch();
    latch.setSignalled('10.0.0.2', 4000);
    latch.consider('198.51.100.7', 31000, 1, 0);
    latch.setSignalled('10.0.0.2', 4000);
    expect(latch.isLatched).toBe(true);
    latch.setSignalled('10.0.0.3', 4000);
    expect(latch.isLatched).toBe(false);
    expect(latch.targetAddress).toBe('10.0.0.3');
    // After unlatching, any source latches again: the moved phone's first packet.
    expect(latch.consider('198.51.100.9', 1234, 5, 10)).toBe('latched');
  });
});
