import { describe, expect, it } from 'vitest';
import { MissingTransportError } from '../../../src/call/bridge-session.js';
import { bridgeFailureReason, Reasons, setupFailureReason } from '../../../src/call/close-reason.js';
import { BridgeTransportError } from '../../../src/media/bridge/errors.js';
import { SdpNegotiationError } from '../../../src/media/caller/sdp-negotiation.js';
import { PortExhaustedError } from '../../../src/media/port-allocator.js';
import { MediaUnavailableError } from '../../../src/media/freeswitch/freeswitch-media-engine.js';
import { JingleParseError, NegotiationError } from '../../../src/xmpp/jingle/errors.js';

describe('setupFailureReason', () => {
  it('maps an error carrying sipStatus 503 to media-server-lost', () => {
    expect(setupFailureReason({ sipStatus: 503 })).toBe(Reasons.mediaServerLost);
    expect(setupFailureReason(new MediaUnavailableError('FreeSWITCH is not connected'))).toBe(Reasons.mediaServerLost);
  });

  it('names a full media port range apart from a lost media server', () => {
    expect(setupFailureReason(new PortExhaustedError({ min: 20000, max: 20001 }, '127.0.0.1'))).toBe(Reasons.portsExhausted);
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

describe('bridgeFailureReason', () => {
  it('names every refusal of the focus offer, with 503 for a ringing caller and the Jingle condition to send', () => {
    expect(bridgeFailureReason(new NegotiationError('no opus'))).toEqual({
      cls: 'upstream_error',
      sipStatus: 503,
      cause: 'offer-incompatible',
      jingleReason: 'incompatible-parameters',
    });
    expect(bridgeFailureReason(new JingleParseError('no sid'))).toMatchObject({ cause: 'offer-malformed', sipStatus: 503 });
    expect(bridgeFailureReason(new JingleParseError('no sid')).jingleReason).toBeUndefined();
    expect(bridgeFailureReason(new MissingTransportError('session-initiate'))).toMatchObject({ cause: 'offer-no-transport', jingleReason: 'failed-transport' });
    expect(bridgeFailureReason(new BridgeTransportError('fingerprint-mismatch', 'x'))).toMatchObject({
      cause: 'bridge-fingerprint-mismatch',
      jingleReason: 'security-error',
    });
    expect(bridgeFailureReason(new Error('other'))).toBe(Reasons.bridgeFailed);
  });
});
