import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesCmSrtpSession } from '../../../../src/media/bridge/srtp/aes-cm-session.js';
import { createSdesSession, cryptoAttribute, usableKeys } from '../../../../src/media/caller/sdes.js';
import { acceptCallerAnswer, answerCallerOffer, createCallerOffer, SdpNegotiationError } from '../../../../src/media/caller/sdp-negotiation.js';
import { writeRtp } from '../../../../src/media/rtp/packet.js';

const KEY = randomBytes(30);
const OUR_KEY = randomBytes(30);
const B64 = KEY.toString('base64');
const local = { address: '127.0.0.1', port: 20002, sessionId: '42', sessionVersion: 1 };
const withSrtp = (policy: 'off' | 'optional' | 'required') => ({ ...local, srtp: { policy, key: OUR_KEY } });

function offer(mline: string, extra: string[] = []): string {
  return ['v=0', 'o=phone 1 1 IN IP4 192.0.2.10', 's=call', 'c=IN IP4 192.0.2.10', 't=0 0', mline, 'a=rtpmap:0 PCMU/8000', ...extra, ''].join('\r\n');
}

function rtp(seq: number, payload: Buffer): Buffer {
  const buf = Buffer.alloc(12 + payload.length);
  const n = writeRtp({ payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 0x1234, marker: false, payload }, buf, 0);
  return buf.subarray(0, n);
}

describe('a=crypto lines', () => {
  it('reads the keys of the suites we support, in the order listed', () => {
    const keys = usableKeys([
      { id: 1, suite: 'AEAD_AES_256_GCM', config: `inline:${randomBytes(44).toString('base64')}` },
      { id: 2, suite: 'AES_CM_128_HMAC_SHA1_32', config: `inline:${B64}|2^31` },
      { id: 3, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${B64}` },
    ]);
    expect(keys.map((k) => [k.tag, k.suite])).toEqual([
      [2, 'AES_CM_128_HMAC_SHA1_32'],
      [3, 'AES_CM_128_HMAC_SHA1_80'],
    ]);
    expect(keys[0]!.keySalt.equals(KEY)).toBe(true);
  });

  it('skips lines it cannot honour: an MKI, several keys, session parameters, a key of the wrong size', () => {
    expect(
      usableKeys([
        { id: 1, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${B64}|2^20|1:4` },
        { id: 2, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${B64};inline:${B64}` },
        { id: 3, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${B64}`, sessionConfig: 'UNENCRYPTED_SRTP' },
        { id: 4, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${randomBytes(16).toString('base64')}` },
      ]),
    ).toEqual([]);
  });

  it('HMAC-SHA1-32 is the -80 tag cut to 4 bytes, and each side refuses the other', () => {
    const keys = { localKey: KEY.subarray(0, 16), localSalt: KEY.subarray(16), remoteKey: KEY.subarray(0, 16), remoteSalt: KEY.subarray(16) };
    const packet = rtp(7, Buffer.from('hello srtp, twenty bytes'));
    const p80 = new AesCmSrtpSession(keys).protectRtp(packet);
    const p32 = new AesCmSrtpSession(keys, 4).protectRtp(packet);
    expect(p80.length).toBe(packet.length + 10);
    expect(p32.length).toBe(packet.length + 4);
    expect(p32.equals(p80.subarray(0, packet.length + 4))).toBe(true);
    expect(new AesCmSrtpSession(keys, 4).unprotectRtp(Buffer.from(p32))?.equals(packet)).toBe(true);
    const wrong = new AesCmSrtpSession(keys, 4);
    expect(wrong.unprotectRtp(Buffer.from(p80))).toBeNull();
    expect(wrong.counters.authFailures).toBe(1);
  });

  it('keys both directions from the two SDES keys', () => {
    const a = createSdesSession('AES_CM_128_HMAC_SHA1_80', OUR_KEY, KEY);
    const b = createSdesSession('AES_CM_128_HMAC_SHA1_80', KEY, OUR_KEY);
    const packet = rtp(1, Buffer.alloc(160, 0x55));
    expect(b.unprotectRtp(a.protectRtp(packet))?.equals(packet)).toBe(true);
    expect(a.unprotectRtp(b.protectRtp(packet))?.equals(packet)).toBe(true);
  });
});

describe('SDES in offers and answers (CALLER_SRTP)', () => {
  const savp = offer('m=audio 4000 RTP/SAVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${B64}`, `a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${B64}`]);

  it('answers RTP/SAVP with the first usable line: its tag and suite, our own key', () => {
    const { params, answer } = answerCallerOffer(savp, withSrtp('optional'));
    expect(params.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_32', tag: 1 });
    expect(params.srtp!.remoteKey.equals(KEY)).toBe(true);
    expect(answer).toContain('m=audio 20002 RTP/SAVP 0\r\n');
    expect(answer).toContain(`a=${cryptoAttribute(1, 'AES_CM_128_HMAC_SHA1_32', OUR_KEY)}\r\n`);
    expect(answer.match(/a=crypto/g)).toHaveLength(1);
    expect(answer).not.toContain(B64);
  });

  it('takes best-effort keys on RTP/AVP and answers them on RTP/AVP', () => {
    const { params, answer } = answerCallerOffer(offer('m=audio 4000 RTP/AVP 0', [`a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:${B64}`]), withSrtp('required'));
    expect(params.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_80', tag: 5 });
    expect(answer).toContain('m=audio 20002 RTP/AVP 0\r\n');
    expect(answer).toContain('a=crypto:5 AES_CM_128_HMAC_SHA1_80 inline:');
  });

  it('off: refuses RTP/SAVP and ignores best-effort keys', () => {
    expect(() => answerCallerOffer(savp, withSrtp('off'))).toThrow(/SRTP is off/);
    expect(() => answerCallerOffer(savp, local)).toThrow(SdpNegotiationError);
    const { params, answer } = answerCallerOffer(offer('m=audio 4000 RTP/AVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${B64}`]), local);
    expect(params.srtp).toBeUndefined();
    expect(answer).not.toContain('a=crypto');
  });

  it('required: refuses a plain offer with 488; optional answers it plain', () => {
    const plain = offer('m=audio 4000 RTP/AVP 0');
    let err: unknown;
    try {
      answerCallerOffer(plain, withSrtp('required'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SdpNegotiationError);
    expect((err as SdpNegotiationError).sipStatus).toBe(488);
    expect((err as Error).message).toMatch(/SRTP is required/);
    expect(answerCallerOffer(plain, withSrtp('optional')).params.srtp).toBeUndefined();
  });

  it('refuses RTP/SAVP whose keys are all unusable, without quoting a key', () => {
    const bad = offer('m=audio 4000 RTP/SAVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${B64}|2^20|1:4`]);
    expect(() => answerCallerOffer(bad, withSrtp('optional'))).toThrow(/no usable a=crypto/);
    try {
      answerCallerOffer(bad, withSrtp('optional'));
    } catch (e) {
      expect((e as Error).message).not.toContain(B64);
    }
  });

  it('offers keys for both suites: on RTP/AVP when optional, RTP/SAVP when required, none when off', () => {
    const opt = createCallerOffer({ ...withSrtp('optional'), codecs: ['PCMU'] });
    expect(opt).toMatch(/^m=audio 20002 RTP\/AVP 0 101\r$/m);
    expect(opt).toContain(`a=${cryptoAttribute(1, 'AES_CM_128_HMAC_SHA1_80', OUR_KEY)}\r\n`);
    expect(opt).toContain(`a=${cryptoAttribute(2, 'AES_CM_128_HMAC_SHA1_32', OUR_KEY)}\r\n`);
    expect(createCallerOffer({ ...withSrtp('required'), codecs: ['PCMU'] })).toMatch(/^m=audio 20002 RTP\/SAVP 0 101\r$/m);
    expect(createCallerOffer({ ...withSrtp('off'), codecs: ['PCMU'] })).not.toContain('a=crypto');
  });

  it('reads the answer to our offer: a line we offered, plain RTP when optional, refused when required', () => {
    const answer32 = offer('m=audio 4000 RTP/SAVP 0', [`a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:${B64}`]);
    expect(acceptCallerAnswer(answer32, { srtp: withSrtp('optional').srtp }).srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_32', tag: 2 });
    // Tag 1 was our _80 line: a _32 answer on it is not one of ours.
    const mismatched = offer('m=audio 4000 RTP/SAVP 0', [`a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:${B64}`]);
    expect(() => acceptCallerAnswer(mismatched, { srtp: withSrtp('optional').srtp })).toThrow(SdpNegotiationError);
    const plain = offer('m=audio 4000 RTP/AVP 0');
    expect(acceptCallerAnswer(plain, { srtp: withSrtp('optional').srtp }).srtp).toBeUndefined();
    expect(() => acceptCallerAnswer(plain, { srtp: withSrtp('required').srtp })).toThrow(/SRTP is required/);
  });
});
