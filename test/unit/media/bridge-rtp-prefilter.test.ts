import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_SKIPPED_IN_A_ROW, PrefilterBudget } from '../../../src/media/bridge/rtp-prefilter.js';
import { SRTP_PROFILES, type SrtpMasterKeys } from '../../../src/media/bridge/srtp/profiles.js';
import { StreamState } from '../../../src/media/bridge/srtp/rollover.js';
import { createSrtpSession } from '../../../src/media/bridge/srtp/srtp-session.js';
import type { SrtpProfileName } from '../../../src/media/bridge/types.js';
import { serializeRtp } from '../../../src/media/rtp/packet.js';

function keyPair(profile: SrtpProfileName): { sender: SrtpMasterKeys; receiver: SrtpMasterKeys } {
  const spec = SRTP_PROFILES[profile];
  const k = randomBytes(spec.keyLength);
  const s = randomBytes(spec.saltLength);
  const other = { key: randomBytes(spec.keyLength), salt: randomBytes(spec.saltLength) };
  return {
    sender: { localKey: k, localSalt: s, remoteKey: other.key, remoteSalt: other.salt },
    receiver: { localKey: other.key, localSalt: other.salt, remoteKey: k, remoteSalt: s },
  };
}

const packet = (ssrc: number, seq: number): Buffer =>
  serializeRtp({ payloadType: 111, sequenceNumber: seq & 0xffff, timestamp: seq * 960, ssrc, payload: randomBytes(30) });

describe('RTP prefilter and the SRTP rollover counter', () => {
  it('estimates the ROC after a sequence wrap that was never seen, up to half the number space', () => {
    const state = new StreamState(65_400);
    state.commit(65_400, 0);
    // Packets 65401..65535 and 0..199 were skipped undecrypted.
    expect(state.rocFor(200)).toBe(1);
    // A late packet from before the wrap still gets the old ROC.
    expect(state.rocFor(65_300)).toBe(0);
  });

  for (const profile of ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] as const) {
    it(`keeps every forced decryption authenticating across a wrap with nearly all packets skipped (${profile})`, () => {
      const keys = keyPair(profile);
      const sender = createSrtpSession(profile, keys.sender);
      const receiver = createSrtpSession(profile, keys.receiver);
      const budget = new PrefilterBudget();
      const declineAll = (): boolean => false;
      let decrypted = 0;
      // More than a full cycle of the 16-bit sequence number: unbounded skipping would lose the ROC.
      for (let n = 65_000; n < 65_000 + 66_000; n++) {
        const wire = sender.protectRtp(packet(0x1234, n));
        if (budget.skip(wire, declineAll)) continue;
        const plain = receiver.unprotectRtp(wire);
        expect(plain, `packet ${n}`).not.toBeNull();
        budget.authenticated(plain!);
        decrypted++;
      }
      expect(decrypted).toBe(Math.floor(66_000 / (MAX_SKIPPED_IN_A_ROW + 1)));
      expect(receiver.counters).toEqual({ authFailures: 0, replays: 0, malformed: 0 });
    });
  }

  it('counts the budget per SSRC and starts it over after an authenticated packet', () => {
    const budget = new PrefilterBudget();
    const decline = (): boolean => false;
    const a = packet(1, 0);
    const b = packet(2, 0);
    for (let i = 0; i < MAX_SKIPPED_IN_A_ROW; i++) expect(budget.skip(a, decline)).toBe(true);
    expect(budget.skip(a, decline)).toBe(false);
    expect(budget.skip(b, decline)).toBe(true);
    budget.authenticated(a);
    expect(budget.skip(a, decline)).toBe(true);
    // A filter that wants the packet is never overruled.
    expect(budget.skip(packet(3, 0), () => true)).toBe(false);
  });
});
