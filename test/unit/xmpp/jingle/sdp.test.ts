import { describe, expect, it } from 'vitest';
import {
  JingleParseError,
  jingleToSdp,
  parseJingleIq,
  sdpToJingle,
  type JingleAction,
  type JingleContent,
} from '../../../../src/xmpp/jingle/index.js';
import { fixture, parseXml, sharedStanzaText } from './helpers.js';

const STANZA_01 = '01-session-initiate-from-lib-jitsi-meet-SDP.spec.xml';
const stanza01 = sharedStanzaText(STANZA_01);
if (stanza01 === undefined) console.log('skipped: shared reference stanzas not available');

const lines = (sdp: string): string[] => sdp.split(/\r?\n/).filter((l) => l !== '');

/** The lines of the first m-section of `kind` (m= line included). */
function section(sdp: string, kind: string): string[] {
  const all = lines(sdp);
  const start = all.findIndex((l) => l.startsWith(`m=${kind} `));
  if (start < 0) return [];
  const end = all.findIndex((l, i) => i > start && l.startsWith('m='));
  return all.slice(start, end < 0 ? undefined : end);
}

/** What SDP can't carry: ssrc-info owners, source names, candidate ids/networks, fingerprint `required`. */
function sdpVisible(c: JingleContent): JingleContent {
  const out: JingleContent = {
    ...c,
    sources: c.sources.map(({ ssrc, parameters, msid }) => ({ ssrc, parameters, ...(msid !== undefined ? { msid } : {}) })),
  };
  if (c.transport) {
    out.transport = {
      ...c.transport,
      rtcpMux: false,
      candidates: c.transport.candidates.map(({ id: _id, network: _network, ...rest }) => rest),
      fingerprints: c.transport.fingerprints.map(({ required: _required, ...rest }) => rest),
    };
  }
  return out;
}

describe.skipIf(stanza01 === undefined)('jingle↔sdp on the lib-jitsi-meet reference stanza', () => {
  const text = stanza01 ?? '';
  const action = (): JingleAction => parseJingleIq(parseXml(text));
  const audioOnly = () => {
    const a = action();
    return { sid: a.sid, contents: a.contents.filter((c) => c.name === 'audio'), groups: a.groups };
  };
  const expectedSdp = (): string => {
    const m = /Expected SDP[^\n]*\n([\s\S]*?)-->/.exec(text);
    if (!m?.[1]) throw new Error('expected SDP comment not found in the stanza file');
    return m[1];
  };

  it('produces the audio lines lib-jitsi-meet produces', () => {
    const ours = section(jingleToSdp(audioOnly()), 'audio');
    // mids differ by design (we use the content name, lib-jitsi-meet its index), and so does its a=rtcp:1 line.
    const essential = section(expectedSdp(), 'audio').filter((l) => !l.startsWith('a=mid:') && !l.startsWith('a=rtcp:'));
    expect(essential.length).toBeGreaterThan(15);
    for (const line of essential) expect(ours).toContain(line);
    expect(ours).toContain('a=fmtp:126 0-15');
    expect(ours).toContain('a=mid:audio');
  });

  it('produces the video lines too when given the whole offer', () => {
    const ours = section(jingleToSdp(action()), 'video');
    const essential = section(expectedSdp(), 'video').filter((l) => !l.startsWith('a=mid:') && !l.startsWith('a=rtcp:'));
    expect(essential.length).toBeGreaterThan(15);
    for (const line of essential) expect(ours).toContain(line);
  });

  it('groups only the converted contents in BUNDLE', () => {
    expect(lines(jingleToSdp(audioOnly()))).toContain('a=group:BUNDLE audio');
    expect(lines(jingleToSdp(action()))).toContain('a=group:BUNDLE audio video');
  });

  it('is stable through SDP → Jingle → SDP', () => {
    const first = jingleToSdp(action());
    const back = sdpToJingle(first);
    expect(jingleToSdp({ sid: action().sid, ...back })).toBe(first);
  });

  it('keeps everything SDP can carry through Jingle → SDP → Jingle', () => {
    const original = audioOnly();
    const back = sdpToJingle(jingleToSdp(original));
    expect(back.contents).toEqual(original.contents.map(sdpVisible));
  });
});

describe('jingle↔sdp on our Jicofo-shaped fixtures', () => {
  const initiate = (): JingleAction => parseJingleIq(fixture('session-initiate.xml'));

  it('writes a full audio SDP from the session-initiate', () => {
    const sdp = jingleToSdp(initiate());
    const all = lines(sdp);
    expect(all.slice(0, 4)).toEqual([
      'v=0',
      expect.stringMatching(/^o=- \d+ 2 IN IP4 0\.0\.0\.0$/),
      's=-',
      't=0 0',
    ]);
    expect(all).toContain('a=group:BUNDLE audio');
    const audio = section(sdp, 'audio');
    expect(audio[0]).toBe('m=audio 9 UDP/TLS/RTP/SAVPF 111 126');
    for (const line of [
      'c=IN IP4 0.0.0.0',
      'a=rtpmap:111 opus/48000/2',
      'a=rtpmap:126 telephone-event/8000',
      'a=fmtp:111 minptime=10;useinbandfec=1',
      'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
      'a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:mid',
      'a=extmap-allow-mixed',
      'a=setup:actpass',
      'a=mid:audio',
      'a=sendrecv',
      'a=ice-ufrag:fxufrag1',
      'a=ice-pwd:fxpwd0123456789abcdefgh',
      'a=fingerprint:sha-256 1F:2E:3D:4C:5B:6A:79:88:97:A6:B5:C4:D3:E2:F1:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:01',
      'a=candidate:1 1 udp 2130706431 127.0.0.1 10000 typ host generation 0',
      'a=candidate:2 1 udp 1694498815 192.0.2.44 10000 typ srflx raddr 127.0.0.1 rport 10000 generation 0',
      'a=ssrc:1010101010 cname:fxmixed',
      'a=ssrc:1010101010 msid:fxmixedstream fxmixedaudio',
      'a=ssrc:2020202020 msid:ab12cd34-audio-0 trk-ab12',
      'a=ssrc:4040404040 msid:ef56ab78-audio-0 trk-ef56',
      'a=rtcp-mux',
      'a=maxptime:60',
    ]) {
      expect(audio).toContain(line);
    }
    // Exactly one m-line and no fmtp for a payload without parameters.
    expect(all.filter((l) => l.startsWith('m='))).toHaveLength(1);
    expect(audio.some((l) => l.startsWith('a=fmtp:126'))).toBe(false);
  });

  it('comes back from SDP with everything SDP can carry, and SDP is stable', () => {
    const a = initiate();
    const sdp = jingleToSdp(a);
    const back = sdpToJingle(sdp);
    expect(back.groups).toEqual(a.groups);
    expect(back.contents).toEqual(a.contents.map(sdpVisible));
    expect(jingleToSdp({ sid: a.sid, ...back })).toBe(sdp);
  });

  it('converts the transport-replace offer, keeping the nameless telephone-event fmtp', () => {
    const a = parseJingleIq(fixture('transport-replace.xml'));
    const sdp = jingleToSdp(a);
    expect(lines(sdp)).toContain('a=fmtp:126 0-15');
    expect(sdpToJingle(sdp).contents[0]?.payloadTypes[1]?.parameters).toEqual({ '': '0-15' });
  });

  it('skips contents without an RTP description and ungroups them', () => {
    const sdp = jingleToSdp(parseJingleIq(fixture('transport-info.xml')));
    expect(lines(sdp).filter((l) => l.startsWith('m=') || l.startsWith('a=group'))).toEqual([]);
  });

  it('can put the default candidate in c= and m= for peers without ICE', () => {
    const audio = section(jingleToSdp(initiate(), { defaultCandidate: true }), 'audio');
    expect(audio[0]).toBe('m=audio 10000 UDP/TLS/RTP/SAVPF 111 126');
    expect(audio).toContain('c=IN IP4 127.0.0.1');
  });

  it('keeps a numeric sid as the o= session id and hashes any other', () => {
    const contents = initiate().contents;
    expect(lines(jingleToSdp({ sid: '4242', contents }))[1]).toBe('o=- 4242 2 IN IP4 0.0.0.0');
    const a = lines(jingleToSdp({ sid: 'fxsid0001', contents }))[1];
    const b = lines(jingleToSdp({ sid: 'fxsid0002', contents }))[1];
    expect(a).toMatch(/^o=- \d+ 2 /);
    expect(a).not.toBe(b);
  });

  it('maps senders to SDP direction and back', () => {
    const content = initiate().contents[0]!;
    for (const [senders, dir] of [
      ['both', 'sendrecv'],
      ['initiator', 'sendonly'],
      ['responder', 'recvonly'],
      ['none', 'inactive'],
    ] as const) {
      const sdp = jingleToSdp({ contents: [{ ...content, senders }] });
      expect(section(sdp, 'audio')).toContain(`a=${dir}`);
      expect(sdpToJingle(sdp).contents[0]?.senders).toBe(senders);
    }
  });
});

describe('sdpToJingle on SDP written by other stacks', () => {
  const browserish = [
    'v=0',
    'o=- 1234 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=ice-ufrag:12345678',
    'a=ice-pwd:abcdefabcdefabcdefabcdef',
    'a=fingerprint:sha-256 01:02:03',
    'a=setup:active',
    'm=audio 9 UDP/TLS/RTP/SAVPF 96 101',
    'c=IN IP4 0.0.0.0',
    'a=mid:0',
    'a=recvonly',
    'a=rtpmap:101 telephone-event/8000',
    'a=rtpmap:96 opus/48000/2',
    'a=fmtp:96 minptime=10; useinbandfec=1',
    'a=fmtp:101 0-16',
    'a=rtcp-fb:* nack',
    'a=rtcp-fb:96 transport-cc',
    'a=candidate:7 1 TCP 1518280447 127.0.0.1 9 typ host tcptype active generation 0',
    'a=ssrc-group:FID 11 22',
    'a=ssrc:11 cname:abc',
    'a=ssrc:22 cname:abc',
    'a=rtcp-mux',
    '',
  ].join('\r\n');

  it('reads session-level ICE/DTLS, wildcard rtcp-fb, spaced fmtp and numeric-looking values as text', () => {
    const { contents, groups } = sdpToJingle(browserish);
    expect(groups).toEqual([{ semantics: 'BUNDLE', contents: ['0'] }]);
    const c = contents[0];
    expect(c?.name).toBe('0');
    expect(c?.senders).toBe('responder');
    expect(c?.payloadTypes).toEqual([
      {
        id: 96,
        name: 'opus',
        clockRate: 48000,
        channels: 2,
        parameters: { minptime: '10', useinbandfec: '1' },
        rtcpFbs: [{ type: 'nack' }, { type: 'transport-cc' }],
      },
      { id: 101, name: 'telephone-event', clockRate: 8000, channels: 1, parameters: { '': '0-16' }, rtcpFbs: [{ type: 'nack' }] },
    ]);
    expect(c?.transport).toEqual({
      ufrag: '12345678',
      pwd: 'abcdefabcdefabcdefabcdef',
      fingerprints: [{ hash: 'sha-256', setup: 'active', value: '01:02:03' }],
      rtcpMux: false,
      candidates: [
        {
          foundation: '7',
          component: 1,
          protocol: 'tcp',
          priority: 1518280447,
          ip: '127.0.0.1',
          port: 9,
          type: 'host',
          tcpType: 'active',
          generation: 0,
        },
      ],
    });
    expect(c?.sources).toEqual([
      { ssrc: 11, parameters: { cname: 'abc' } },
      { ssrc: 22, parameters: { cname: 'abc' } },
    ]);
    expect(c?.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: [11, 22] }]);
    expect(c?.rtcpMux).toBe(true);
  });

  it('rejects a DTLS role that DTLS-SRTP cannot use', () => {
    expect(() => sdpToJingle(browserish.replace('a=setup:active', 'a=setup:holdconn'))).toThrow(JingleParseError);
  });
});
