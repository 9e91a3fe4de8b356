import { describe, expect, it } from 'vitest';
import { Reasons, setupFailureReason } from '../../../src/call/close-reason.js';
import { SdpNegotiationError } from '../../../src/media/caller/sdp-negotiation.js';
import { MediaUnavailableError } from '../../../src/media/freeswitch/freeswitch-media-engine.js';

describe('setupFailureReason', () => {
  it('maps an error carrying sipStatus 503 to media-server-lost', () => {
    expect(setupFailureReason({ sipStatus: 503 })).toBe(Reasons.mediaServerLost);
    expect(setupFailureReason(new MediaUnavailableError('FreeSWITCH is not connected'))).toBe(Reasons.mediaServerLost);
  });

  it('maps anything else to internal', () => {
    expect(setupFailureReason(new Error('boom'))).toBe(Reasons.internal);
    expect(setupFailureReason(new SdpNegotiationError('no common codec'))).toBe(Reasons.internal);
    expect(setupFailureReason({ sipStatus: '503' })).toBe(Reasons.internal);
    expect(setupFailureReason(undefined)).toBe(Reasons.internal);
    expect(setupFailureReason(null)).toBe(Reasons.internal);
    expect(setupFailureReason('503')).toBe(Reasons.internal);
  });
});
