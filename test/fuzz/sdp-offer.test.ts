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
import { fuzzParams, mutatedLines, nastyToken, regressionFixtures } from './fuzz-support.js';

const LOCAL: LocalMedia = { address: '192.0.2.1', port: 30000, sessionId: '42', sessionVersion: 1 };
const ALL_CODECS: readonly CallerCodecName[] = ['PCMU', 'PCMA', 'G722', 'opus', 'L16', 'L16-16k'];

/** Offers in the shapes phones, PBXs, trunks and FreeSWITCH send. */
const SEED_OFFERS = [
  [
    'v=0',
    'o=- 1234 1 IN IP4 198.51.100.7',
    's=-',
    'c=IN IP4 198.51.100.7',
    't=0 0',
    'm=audio 40000 RTP/AVP 9 0 8 101',
    'a=rtpmap:9 G722/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n'),
  [
    'v=0',
    'o=FreeSWITCH 1700000000 1700000001 IN IP4 203.0.113.5',
    's=FreeSWITCH',
    'c=IN IP4 203.0.113.5',
    't=0 0',
    'm=audio 21000 RTP/AVP 111 118 119 0 101',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 useinbandfec=1; maxplaybackrate=16000',
    'a=rtpmap:118 L16/8000',
    'a=rtpmap:119 L16/16000',
    'a=rtpmap:101 telephone-event/48000',
    'a=rtcp-mux',
    'a=ptime:20',
    'a=recvonly',
    '',
  ].join('\r\n'),
  [
    'v=0',
    'o=- 2890844526 2890844526 IN IP4 198.51.100.7',
    's=-',
    't=0 0',
    'm=video 0 RTP/AVP 96',
    'm=audio 49170 RTP/SAVP 18 8',
    'c=IN IP4 0.0.0.0',
    'a=rtpmap:18 G729/8000',
    'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32',
    'a=inactive',
    '',
  ].join('\r\n'),
];

/** SDP from scratch: random fields in the right places, so deeper branches get reached too. */
const structuredOffer: fc.Arbitrary<string> = fc
  .record({
    version: fc.constantFrom('0', '0', '1', ''),
    cLine: fc.option(fc.tuple(fc.constantFrom('IP4', 'IP6', 'IP5', ''), fc.oneof(nastyToken, fc.ipV4(), fc.ipV6()))),
    mediaC: fc.boolean(),
    mediaType: fc.constantFrom('audio', 'audio', 'video', 'AUDIO', 'application'),
    port: fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String), nastyToken),
    proto: fc.constantFrom('RTP/AVP', 'RTP/AVPF', 'RTP/SAVP', 'UDP/TLS/RTP/SAVPF', 'udp', 'RTP/AVP/TCP', ''),
    payloads: fc.array(fc.oneof(fc.integer({ min: -5, max: 300 }).map(String), nastyToken), { maxLength: 6 }),
    rtpmaps: fc.array(
      fc.tuple(
        fc.oneof(fc.integer({ min: -1, max: 200 }), fc.constantFrom(0, 8, 9, 101, 111)),
        fc.constantFrom('PCMU', 'pcma', 'G722', 'opus', 'OPUS', 'L16', 'telephone-event', 'G729', 'x'),
        fc.oneof(fc.constantFrom(8000, 16000, 48000, 0), fc.integer({ min: -1, max: 2 ** 32 })),
        fc.option(fc.integer({ min: 0, max: 300 })),
      ),
      { maxLength: 5 },
    ),
    direction: fc.constantFrom('sendrecv', 'sendonly', 'recvonly', 'inactive', 'bogus'),
    ptime: fc.option(fc.oneof(fc.integer({ min: -10, max: 100_000 }).map(String), nastyToken)),
    rtcpMux: fc.boolean(),
  })
  .map((r) => {
    const c = r.cLine === null ? [] : [`c=IN ${r.cLine[0]} ${r.cLine[1]}`];
    return [
      `v=${r.version}`,
      'o=- 1 1 IN IP4 198.51.100.7',
      's=-',
      ...(r.mediaC ? [] : c),
      't=0 0',
      `m=${r.mediaType} ${r.port} ${r.proto} ${r.payloads.join(' ')}`,
      ...(r.mediaC ? c : []),
      ...r.rtpmaps.map(([pt, name, rate, ch]) => `a=rtpmap:${pt} ${name}/${rate}${ch === null ? '' : `/${ch}`}`),
      `a=${r.direction}`,
      ...(r.ptime === null ? [] : [`a=ptime:${r.ptime}`]),
      ...(r.rtcpMux ? ['a=rtcp-mux'] : []),
      '',
    ].join('\r\n');
  });

const anyOffer: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: mutatedLines(SEED_OFFERS) },
  { weight: 3, arbitrary: structuredOffer },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => `v=0\r\n${s}`) },
);

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
