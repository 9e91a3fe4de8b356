import { describe, expect, it } from 'vitest';
import { SdpNegotiationError } from '../../../../src/media/caller/sdp-negotiation.js';
import { codecOfferCheck, structuralOfferCheck } from '../../../../src/sip/admission/offer-check.js';

function offer(lines: { proto?: string; payloads?: string; attrs?: string[]; sessionC?: boolean; mediaC?: boolean; media?: string } = {}): string {
  const { proto = 'RTP/AVP', payloads = '18 101', sessionC = true, mediaC = false, media = 'audio 49170' } = lines;
  const attrs = lines.attrs ?? ['a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15'];
  return [
    'v=0',
    'o=- 2890844526 2890844526 IN IP4 198.51.100.7',
    's=-',
    ...(sessionC ? ['c=IN IP4 198.51.100.7'] : []),
    't=0 0',
    `m=${media} ${proto} ${payloads}`,
    ...(mediaC ? ['c=IN IP4 198.51.100.8'] : []),
    ...attrs,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const SDES = 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32';

describe('structuralOfferCheck', () => {
  const check = structuralOfferCheck();

  it('accepts an RTP/AVP offer with only codecs the engine lacks (G.729)', () => {
    expect(() => check(offer())).not.toThrow();
    // The engine's own check would refuse the same offer.
    expect(() => codecOfferCheck()(offer())).toThrow(SdpNegotiationError);
  });

  it('accepts an SDES-SRTP offer (RTP/SAVP)', () => {
    expect(() => check(offer({ proto: 'RTP/SAVP', attrs: ['a=rtpmap:18 G729/8000', SDES] }))).not.toThrow();
  });

  it('accepts a connection line on the media instead of the session', () => {
    expect(() => check(offer({ sessionC: false, mediaC: true }))).not.toThrow();
  });

  it.each([
    ['a DTLS-SRTP offer', offer({ proto: 'UDP/TLS/RTP/SAVPF', payloads: '111', attrs: ['a=rtpmap:111 opus/48000/2', 'a=fingerprint:sha-256 AA:BB', 'a=setup:actpass'] }), /UDP\/TLS\/RTP\/SAVPF/],
    ['no audio stream', offer({ media: 'video 49170', payloads: '96', attrs: ['a=rtpmap:96 H264/90000'] }), /no active audio/],
    ['only a rejected audio stream', offer({ media: 'audio 0' }), /no active audio/],
    ['no v=0 line', offer().replace('v=0\r\n', ''), /v=0/],
    ['no c= line', offer({ sessionC: false }), /no c= line/],
  ])('refuses %s with SdpNegotiationError', (_what, sdp, message) => {
    let thrown: unknown;
    try {
      check(sdp);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SdpNegotiationError);
    expect((thrown as SdpNegotiationError).sipStatus).toBe(488);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('CALLER_SRTP at admission', () => {
  const KEY = 'inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
  const pcmu = (proto: string, crypto: string[] = []) => offer({ proto, payloads: '0', attrs: ['a=rtpmap:0 PCMU/8000', ...crypto] });

  it.each([
    ['off', 'RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${KEY}`], /SRTP is off/],
    ['required', 'RTP/AVP', [], /SRTP is required/],
  ] as const)('%s: %s gets 488 in both media modes', (policy, proto, crypto, message) => {
    for (const check of [codecOfferCheck(undefined, policy), structuralOfferCheck(policy)]) {
      expect(() => check(pcmu(proto, [...crypto]))).toThrow(message);
    }
  });

  it('optional and required take an SDES offer; optional takes a plain one', () => {
    for (const policy of ['optional', 'required'] as const) {
      expect(() => codecOfferCheck(undefined, policy)(pcmu('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 ${KEY}`]))).not.toThrow();
      expect(() => structuralOfferCheck(policy)(pcmu('RTP/SAVP', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 ${KEY}`]))).not.toThrow();
    }
    expect(() => codecOfferCheck(undefined, 'optional')(pcmu('RTP/AVP'))).not.toThrow();
  });
});
