/** SDP inputs shared by the SDP suite and the INVITE suite: known-good offers, mutated and built from scratch. */
import fc from 'fast-check';
import { mutatedLines, nastyToken } from './fuzz-support.js';

/** Offers in the shapes phones, PBXs, trunks and FreeSWITCH send. */
export const SEED_OFFERS = [
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

export const anyOffer: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: mutatedLines(SEED_OFFERS) },
  { weight: 3, arbitrary: structuredOffer },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => `v=0\r\n${s}`) },
);
