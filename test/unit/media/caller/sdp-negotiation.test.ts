import { describe, expect, it } from 'vitest';
import {
  acceptCallerAnswer,
  answerCallerOffer,
  createCallerOffer,
  SdpNegotiationError,
} from '../../../../src/media/caller/sdp-negotiation.js';

const local = { address: '127.0.0.1', port: 20002, sessionId: '42', sessionVersion: 1 };

function offer(mline: string, extra: string[] = [], conn = 'c=IN IP4 192.0.2.10'): string {
  return ['v=0', 'o=phone 1 1 IN IP4 192.0.2.10', 's=call', conn, 't=0 0', mline, ...extra, ''].join('\r\n');
}

describe('answerCallerOffer', () => {
  it("takes the offerer's first supported codec and its telephone-event", () => {
    const { params, answer } = answerCallerOffer(
      offer('m=audio 4000 RTP/AVP 18 8 0 101', ['a=rtpmap:18 G729/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15']),
      local,
    );
    expect(params.codec).toMatchObject({ name: 'PCMA', payloadType: 8, sampleRate: 8000, rtpClockRate: 8000 });
    expect(params.telephoneEventPt).toBe(101);
    expect(params).toMatchObject({ remoteAddress: '192.0.2.10', remotePort: 4000, direction: 'sendrecv', ptime: 20 });
    expect(answer).toContain('m=audio 20002 RTP/AVP 8 101\r\n');
    expect(answer).toContain('a=rtpmap:8 PCMA/8000\r\n');
    expect(answer).toContain('a=rtpmap:101 telephone-event/8000\r\n');
    expect(answer).toContain('c=IN IP4 127.0.0.1\r\n');
    expect(answer).toContain('a=sendrecv\r\n');
  });

  it('accepts static payload types without rtpmap and G.722 at its RTP clock of 8000', () => {
    const { params, answer } = answerCallerOffer(offer('m=audio 4000 RTP/AVP 9 0'), local);
    expect(params.codec).toMatchObject({ name: 'G722', payloadType: 9, sampleRate: 16000, rtpClockRate: 8000 });
    expect(params.telephoneEventPt).toBeUndefined();
    expect(answer).toContain('a=rtpmap:9 G722/8000');
  });

  it('negotiates Opus at 48000 with dynamic payload type', () => {
    const { params } = answerCallerOffer(
      offer('m=audio 4000 RTP/AVP 96 97', ['a=rtpmap:96 opus/48000/2', 'a=rtpmap:97 telephone-event/48000']),
      local,
    );
    expect(params.codec).toMatchObject({ name: 'opus', payloadType: 96, rtpClockRate: 48000 });
    expect(params.telephoneEventPt).toBe(97);
  });

  it('answers hold offers with the reverse direction', () => {
    expect(answerCallerOffer(offer('m=audio 4000 RTP/AVP 0', ['a=sendonly']), local).params.direction).toBe('recvonly');
    expect(answerCallerOffer(offer('m=audio 4000 RTP/AVP 0', ['a=inactive']), local).answer).toContain('a=inactive');
    // Old-style hold: c=0.0.0.0.
    expect(answerCallerOffer(offer('m=audio 4000 RTP/AVP 0', [], 'c=IN IP4 0.0.0.0'), local).params.direction).toBe('recvonly');
  });

  it('reads a media-level connection line over the session one', () => {
    const text = offer('m=audio 4000 RTP/AVP 0', ['c=IN IP4 198.51.100.3']);
    expect(answerCallerOffer(text, local).params.remoteAddress).toBe('198.51.100.3');
  });

  it('rejects what it cannot serve with a 488 error that says why', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty SDP/],
      ['hello there', /no v=0/],
      [offer('m=audio 4000 RTP/AVP 18', ['a=rtpmap:18 G729/8000']), /no common codec: offered G729/],
      [offer('m=audio 4000 RTP/SAVP 0'), /unsupported audio transport/],
      [offer('m=video 4000 RTP/AVP 96'), /no active audio/],
      [offer('m=audio 0 RTP/AVP 0'), /no active audio/],
      [offer('m=audio 4000 RTP/AVP 0', [], 'c=IN IP6 ::1'), /IPv4/],
    ];
    for (const [text, why] of cases) {
      let err: unknown;
      try {
        answerCallerOffer(text, local);
      } catch (e) {
        err = e;
      }
      expect(err, `for ${JSON.stringify(text)}`).toBeInstanceOf(SdpNegotiationError);
      expect((err as SdpNegotiationError).sipStatus).toBe(488);
      expect((err as Error).message).toMatch(why);
    }
  });
});

describe('createCallerOffer / acceptCallerAnswer', () => {
  it('offers every supported codec plus telephone-event, and reads the answer', () => {
    const o = createCallerOffer(local);
    expect(o).toContain('m=audio 20002 RTP/AVP 9 0 8 111 101\r\n');
    expect(o).toContain('a=rtpmap:111 opus/48000/2');
    const params = acceptCallerAnswer(offer('m=audio 5000 RTP/AVP 0 101', ['a=rtpmap:101 telephone-event/8000']), {});
    expect(params.codec.name).toBe('PCMU');
    expect(params.telephoneEventPt).toBe(101);
    expect(params.remotePort).toBe(5000);
  });
});

describe('L16 (FreeSWITCH engine leg)', () => {
  const withL16 = { ...local, codecs: ['L16-16k', 'L16', 'PCMU'] as const };

  it.each([
    ['L16/16000', 'L16-16k', 16000],
    ['l16/8000', 'L16', 8000],
  ] as const)('answers an offer of %s with its payload type and rate', (rtpmap, name, rate) => {
    const { params, answer } = answerCallerOffer(
      offer('m=audio 4000 RTP/AVP 98 0 101', [`a=rtpmap:98 ${rtpmap}`, `a=rtpmap:101 telephone-event/${rate}`]),
      withL16,
    );
    expect(params.codec).toMatchObject({ name, encoding: 'L16', payloadType: 98, rtpClockRate: rate, sampleRate: rate, channels: 1 });
    expect(params.telephoneEventPt).toBe(101);
    expect(answer).toContain('m=audio 20002 RTP/AVP 98 101\r\n');
    expect(answer).toContain(`a=rtpmap:98 L16/${rate}\r\n`);
    expect(answer).toContain(`a=rtpmap:101 telephone-event/${rate}\r\n`);
  });

  it('is not among the default codecs', () => {
    expect(() => answerCallerOffer(offer('m=audio 4000 RTP/AVP 98', ['a=rtpmap:98 L16/8000']), local)).toThrow(SdpNegotiationError);
    expect(createCallerOffer(local)).not.toContain('L16');
  });

  it('refuses L16 at a rate we were not asked for, and stereo L16', () => {
    const only16k = { ...local, codecs: ['L16-16k'] as const };
    for (const rtpmap of ['L16/8000', 'L16/44100', 'L16/16000/2']) {
      expect(() => answerCallerOffer(offer('m=audio 4000 RTP/AVP 98', [`a=rtpmap:98 ${rtpmap}`]), only16k), rtpmap).toThrow(
        /no common codec/,
      );
    }
    // Static 11 is L16/44100 mono (RFC 3551): not ours either.
    expect(() => answerCallerOffer(offer('m=audio 4000 RTP/AVP 11'), only16k)).toThrow(SdpNegotiationError);
  });

  it('offers exactly the codecs asked for, with telephone-event at the rate of the first', () => {
    const o = createCallerOffer({ ...local, codecs: ['L16-16k', 'PCMU'] });
    expect(o).toContain('m=audio 20002 RTP/AVP 119 0 101\r\n');
    expect(o).toContain('a=rtpmap:119 L16/16000\r\n');
    expect(o).toContain('a=rtpmap:0 PCMU/8000\r\n');
    expect(o).toContain('a=rtpmap:101 telephone-event/16000\r\n');
    expect(o.match(/^a=rtpmap:/gm)).toHaveLength(3);
    expect(createCallerOffer({ ...local, codecs: ['L16', 'PCMU'] })).toContain('m=audio 20002 RTP/AVP 118 0 101\r\n');
    expect(createCallerOffer(local)).toContain('a=rtpmap:101 telephone-event/8000\r\n');
    expect(() => createCallerOffer({ ...local, codecs: [] })).toThrow(RangeError);
  });

  it('accepts an answer only in the codecs and rates offered', () => {
    const codecs = ['L16-16k', 'PCMU'] as const;
    const ok = acceptCallerAnswer(offer('m=audio 5000 RTP/AVP 119 101', ['a=rtpmap:119 L16/16000', 'a=rtpmap:101 telephone-event/16000']), { codecs });
    expect(ok.codec).toMatchObject({ name: 'L16-16k', encoding: 'L16', payloadType: 119, rtpClockRate: 16000, sampleRate: 16000 });
    expect(ok.telephoneEventPt).toBe(101);
    for (const [mline, rtpmap] of [
      ['m=audio 5000 RTP/AVP 119', 'a=rtpmap:119 L16/8000'],
      ['m=audio 5000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000'],
      ['m=audio 5000 RTP/AVP 9', 'a=rtpmap:9 G722/8000'],
    ] as const) {
      expect(() => acceptCallerAnswer(offer(mline, [rtpmap]), { codecs }), rtpmap).toThrow(SdpNegotiationError);
    }
  });
});

describe('RTCP attributes', () => {
  it("reads the phone's rtcp-mux and a=rtcp port, and agrees to rtcp-mux", () => {
    const muxed = answerCallerOffer(offer('m=audio 4000 RTP/AVP 0', ['a=rtcp-mux']), { ...local, rtcpPort: 20003 });
    expect(muxed.params).toMatchObject({ rtcpMux: true });
    expect(muxed.answer).toContain('a=rtcp-mux\r\n');
    expect(muxed.answer).not.toContain('a=rtcp:');

    const named = answerCallerOffer(offer('m=audio 4000 RTP/AVP 0', ['a=rtcp:4555 IN IP4 192.0.2.10']), local);
    expect(named.params).toMatchObject({ rtcpMux: false, remoteRtcpPort: 4555 });
    expect(named.answer).not.toContain('a=rtcp');
  });

  it('names our RTCP port only when it is not RTP + 1', () => {
    const next = answerCallerOffer(offer('m=audio 4000 RTP/AVP 0'), { ...local, rtcpPort: local.port + 1 });
    expect(next.answer).not.toContain('a=rtcp');
    const elsewhere = answerCallerOffer(offer('m=audio 4000 RTP/AVP 0'), { ...local, rtcpPort: 20017 });
    expect(elsewhere.answer).toContain('a=rtcp:20017\r\n');
    expect(createCallerOffer({ ...local, rtcpPort: 20017 })).toContain('a=rtcp:20017\r\n');
  });

  it('does not take rtcp-mux from an answer to an offer that did not ask for it', () => {
    const params = acceptCallerAnswer(offer('m=audio 5000 RTP/AVP 0', ['a=rtcp-mux']), {});
    expect(params.rtcpMux).toBe(false);
  });
});
