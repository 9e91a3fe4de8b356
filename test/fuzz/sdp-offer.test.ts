/**
 * Hostile SDP into the caller side: INVITE admission (readAndCheckOffer with both offer checks),
 * the direct-mode negotiation (answerCallerOffer / acceptCallerAnswer) and FreeSWITCH mode's
 * reading of FreeSWITCH's SDP. Each either yields a usable result or refuses with a typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpv4 } from '../../src/config/parse.js';
import {
  acceptCallerAnswer,
  answerCallerOffer,
  createCallerOffer,
  SdpNegotiationError,
  type LocalMedia,
} from '../../src/media/caller/sdp-negotiation.js';
import type { CallerCodecName, CallerMediaParams } from '../../src/media/caller/sdp-types.js';
import { engineLegCodecs } from '../../src/media/freeswitch/engine-leg-codecs.js';
import { codecOfferCheck, readAndCheckOffer, structuralOfferCheck, type OfferCheck } from '../../src/sip/admission/offer-check.js';
import { SipRejection } from '../../src/sip/errors.js';
import type { SrfIncomingRequest } from '../../src/sip/srf-types.js';
import { fuzzParams, mutatedLines, regressionFixtures } from './fuzz-support.js';
import { anyOffer, SEED_OFFERS } from './sdp-arbitraries.js';

const LOCAL: LocalMedia = { address: '192.0.2.1', port: 30000, sessionId: '42', sessionVersion: 1 };
const ALL_CODECS: readonly CallerCodecName[] = ['PCMU', 'PCMA', 'G722', 'opus', 'L16', 'L16-16k'];

/** What a usable negotiation result must look like: numbers the RTP stack can use as they are. */
function expectUsable(params: CallerMediaParams): void {
  const c = params.codec;
  expect(Number.isInteger(c.payloadType) && c.payloadType >= 0 && c.payloadType <= 127).toBe(true);
  if (params.telephoneEventPt !== undefined) {
    expect(Number.isInteger(params.telephoneEventPt) && params.telephoneEventPt >= 0 && params.telephoneEventPt <= 127).toBe(true);
  }
  expect(Number.isInteger(params.remotePort) && params.remotePort >= 1 && params.remotePort <= 65535).toBe(true);
  expect(isIpv4(params.remoteAddress)).toBe(true);
  expect(Number.isFinite(params.ptime) && params.ptime > 0).toBe(true);
  expect(['sendrecv', 'sendonly', 'recvonly', 'inactive']).toContain(params.direction);
}

/** The offer property: an answer we can read back, or SdpNegotiationError (488). */
function checkNegotiation(offer: string, codecs?: readonly CallerCodecName[]): void {
  const local: LocalMedia = codecs === undefined ? LOCAL : { ...LOCAL, codecs };
  let result: ReturnType<typeof answerCallerOffer>;
  try {
    result = answerCallerOffer(offer, local);
  } catch (err) {
    if (err instanceof SdpNegotiationError && err.sipStatus === 488) return;
    throw err;
  }
  expectUsable(result.params);
  // Our answer must make sense to ourselves: same codec and payload type read back.
  const back = acceptCallerAnswer(result.answer, local);
  expect(back.codec.name).toBe(result.params.codec.name);
  expect(back.codec.payloadType).toBe(result.params.codec.payloadType);
}

/** A request as drachtio-srf hands it to the admission chain, carrying only what the offer step reads. */
function request(body: string, contentType: string | undefined, parts?: Array<{ type: string | null; content: string }>): SrfIncomingRequest {
  return {
    body,
    payload: parts,
    get: (name: string) => (name.toLowerCase() === 'content-type' ? contentType : undefined),
  } as unknown as SrfIncomingRequest;
}

function checkAdmission(body: string, contentType: string | undefined, check: OfferCheck): void {
  const verdict = readAndCheckOffer(request(body, contentType, [{ type: 'application/sdp', content: body }]), check, 'gw.test');
  if (verdict instanceof SipRejection) {
    expect(verdict.status >= 400 && verdict.status < 500).toBe(true);
    // The reason goes into a Warning header: it must stay one header line.
    for (const v of Object.values(verdict.headers)) expect(v).not.toMatch(/[\r\n]/);
    return;
  }
  expect(verdict.offer === undefined || verdict.offer.trim() !== '').toBe(true);
}

describe('fuzz: SDP offers into admission and negotiation', () => {
  it('answerCallerOffer answers or refuses with 488, and its answer reads back', () => {
    fc.assert(
      fc.property(anyOffer, fc.option(fc.subarray([...ALL_CODECS], { minLength: 1 })), (offer, codecs) => {
        checkNegotiation(offer, codecs ?? undefined);
      }),
      fuzzParams(0x5d9001, 600),
    );
  });

  it('acceptCallerAnswer reads the answer to our offer or refuses with 488', () => {
    fc.assert(
      fc.property(fc.oneof(anyOffer, mutatedLines([createCallerOffer(LOCAL)])), (answer) => {
        try {
          expectUsable(acceptCallerAnswer(answer, LOCAL));
        } catch (err) {
          if (!(err instanceof SdpNegotiationError)) throw err;
        }
      }),
      fuzzParams(0x5d9002, 300),
    );
  });

  it('INVITE admission turns any body into an offer, no offer, or a 4xx', () => {
    const checks = [codecOfferCheck(), structuralOfferCheck()];
    fc.assert(
      fc.property(
        fc.oneof(anyOffer, fc.constantFrom('', '   ', '\r\n')),
        fc.option(fc.constantFrom('application/sdp', 'APPLICATION/SDP; charset=x', 'multipart/mixed;boundary=x', 'text/plain', '', ';')),
        fc.nat({ max: 1 }),
        (body, type, which) => {
          checkAdmission(body, type ?? undefined, checks[which]!);
        },
      ),
      fuzzParams(0x5d9003, 400),
    );
  });

  it('FreeSWITCH mode picks engine-leg codecs from any SDP', () => {
    fc.assert(
      fc.property(anyOffer, (sdp) => {
        const codecs = engineLegCodecs(sdp);
        expect(codecs.length).toBeGreaterThan(0);
        for (const c of codecs) expect(ALL_CODECS).toContain(c);
      }),
      fuzzParams(0x5d9004, 200),
    );
  });

  it('still negotiates a valid offer after a run of garbage', () => {
    fc.assert(
      fc.property(fc.array(anyOffer, { maxLength: 10 }), (garbage) => {
        for (const g of garbage) checkNegotiation(g);
        const { params } = answerCallerOffer(SEED_OFFERS[0]!, LOCAL);
        expect(params.codec.name).toBe('G722');
      }),
      fuzzParams(0x5d9005, 50),
    );
  });

  for (const f of regressionFixtures('sdp')) {
    it(`regression: ${f.name}`, () => {
      checkNegotiation(f.text);
      for (const check of [codecOfferCheck(), structuralOfferCheck()]) checkAdmission(f.text, 'application/sdp', check);
      expect(engineLegCodecs(f.text).length).toBeGreaterThan(0);
    });
  }
});
