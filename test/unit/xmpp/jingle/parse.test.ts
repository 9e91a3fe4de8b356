import { describe, expect, it } from 'vitest';
import {
  bundleOf,
  JingleParseError,
  parseJingleIq,
  type JingleAction,
  type JingleContent,
} from '../../../../src/xmpp/jingle/index.js';
import { fixture, parseXml } from './helpers.js';

const FINGERPRINT =
  '1F:2E:3D:4C:5B:6A:79:88:97:A6:B5:C4:D3:E2:F1:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:01';

const emptyContent = (name: string): JingleContent => ({
  name,
  creator: 'initiator',
  senders: 'both',
  payloadTypes: [],
  headerExtensions: [],
  extmapAllowMixed: false,
  sources: [],
  ssrcGroups: [],
  rtcpMux: false,
});

describe('parseJingleIq on the fixtures', () => {
  it('reads a Jicofo-shaped audio-only session-initiate into exact typed data', () => {
    const expected: JingleAction = {
      action: 'session-initiate',
      sid: 'fxsid0001',
      initiator: 'focus@auth.example.test/focus-fx',
      contents: [
        {
          name: 'audio',
          creator: 'initiator',
          senders: 'both',
          media: 'audio',
          maxptime: 60,
          payloadTypes: [
            {
              id: 111,
              name: 'opus',
              clockRate: 48000,
              channels: 2,
              parameters: { minptime: '10', useinbandfec: '1' },
              rtcpFbs: [],
            },
            { id: 126, name: 'telephone-event', clockRate: 8000, channels: 1, parameters: {}, rtcpFbs: [] },
          ],
          headerExtensions: [
            { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
            { id: 10, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
          ],
          extmapAllowMixed: true,
          sources: [
            {
              ssrc: 1010101010,
              owner: 'jvb',
              msid: 'fxmixedstream fxmixedaudio',
              parameters: { cname: 'fxmixed', msid: 'fxmixedstream fxmixedaudio' },
            },
            {
              ssrc: 2020202020,
              owner: 'ab12cd34',
              name: 'ab12cd34-a0',
              msid: 'ab12cd34-audio-0 trk-ab12',
              parameters: { msid: 'ab12cd34-audio-0 trk-ab12' },
            },
            {
              ssrc: 4040404040,
              owner: 'ef56ab78',
              name: 'ef56ab78-a0',
              msid: 'ef56ab78-audio-0 trk-ef56',
              parameters: { msid: 'ef56ab78-audio-0 trk-ef56' },
            },
          ],
          ssrcGroups: [],
          rtcpMux: true,
          transport: {
            ufrag: 'fxufrag1',
            pwd: 'fxpwd0123456789abcdefgh',
            rtcpMux: false,
            fingerprints: [{ hash: 'sha-256', setup: 'actpass', value: FINGERPRINT, required: false }],
            candidates: [
              {
                foundation: '1',
                component: 1,
                protocol: 'udp',
                priority: 2130706431,
                ip: '127.0.0.1',
                port: 10000,
                type: 'host',
                generation: 0,
                network: 0,
                id: 'fxcand1',
              },
              {
                foundation: '2',
                component: 1,
                protocol: 'udp',
                priority: 1694498815,
                ip: '192.0.2.44',
                port: 10000,
                type: 'srflx',
                relAddr: '127.0.0.1',
                relPort: 10000,
                generation: 0,
                network: 0,
                id: 'fxcand2',
              },
            ],
          },
        },
      ],
      groups: [{ semantics: 'BUNDLE', contents: ['audio'] }],
      bridgeSession: { id: 'fx-bridge-session-9', region: 'region-a' },
      startMuted: { audio: false, video: true },
    };
    const parsed = parseJingleIq(fixture('session-initiate.xml'));
    expect(parsed).toEqual(expected);
    expect(bundleOf(parsed.groups)).toEqual(['audio']);
  });

  it('reads source-add with owners, defaulting creator and senders that Jicofo leaves out', () => {
    expect(parseJingleIq(fixture('source-add.xml'))).toEqual({
      action: 'source-add',
      sid: 'fxsid0001',
      groups: [],
      contents: [
        {
          ...emptyContent('audio'),
          media: 'audio',
          sources: [
            {
              ssrc: 3000000001,
              owner: '99aa88bb',
              name: '99aa88bb-a0',
              msid: '99aa88bb-audio-0 trk-99aa',
              parameters: { msid: '99aa88bb-audio-0 trk-99aa' },
            },
            {
              ssrc: 4294967295,
              owner: '77cc66dd',
              name: '77cc66dd-a0',
              msid: '77cc66dd-audio-0 trk-77cc',
              parameters: { msid: '77cc66dd-audio-0 trk-77cc' },
            },
          ],
        },
      ],
    });
  });

  it('reads source-remove', () => {
    expect(parseJingleIq(fixture('source-remove.xml'))).toEqual({
      action: 'source-remove',
      sid: 'fxsid0001',
      groups: [],
      contents: [
        {
          ...emptyContent('audio'),
          media: 'audio',
          sources: [{ ssrc: 2020202020, owner: 'ab12cd34', name: 'ab12cd34-a0', parameters: {} }],
        },
      ],
    });
  });

  it('reads a trickled transport-info as a content with only a transport', () => {
    expect(parseJingleIq(fixture('transport-info.xml'))).toEqual({
      action: 'transport-info',
      sid: 'fxsid0001',
      groups: [],
      contents: [
        {
          ...emptyContent('audio'),
          transport: {
            ufrag: 'fxufrag1',
            pwd: 'fxpwd0123456789abcdefgh',
            fingerprints: [],
            rtcpMux: false,
            candidates: [
              {
                foundation: '3',
                component: 1,
                protocol: 'udp',
                priority: 16777215,
                ip: '198.51.100.7',
                port: 3478,
                type: 'relay',
                relAddr: '192.0.2.44',
                relPort: 10000,
                generation: 0,
                network: 0,
                id: 'fxcand3',
              },
            ],
          },
        },
      ],
    });
  });

  it('reads transport-replace and keeps the nameless telephone-event parameter', () => {
    const action = parseJingleIq(fixture('transport-replace.xml'));
    expect(action.action).toBe('transport-replace');
    const content = action.contents[0];
    expect(content?.payloadTypes[1]).toEqual({
      id: 126,
      name: 'telephone-event',
      clockRate: 8000,
      channels: 1,
      parameters: { '': '0-15' },
      rtcpFbs: [],
    });
    expect(content?.transport?.ufrag).toBe('fxufragB');
    expect(content?.transport?.fingerprints[0]?.value.startsWith('AA:00:BB')).toBe(true);
    expect(content?.sources.map((s) => [s.ssrc, s.owner])).toEqual([
      [1010101010, 'jvb'],
      [4040404040, 'ef56ab78'],
      [3050505050, '1234abcd'],
    ]);
    expect(action.groups).toEqual([{ semantics: 'BUNDLE', contents: ['audio'] }]);
  });

  it('reads session-terminate with its reason condition and text', () => {
    expect(parseJingleIq(fixture('session-terminate.xml'))).toEqual({
      action: 'session-terminate',
      sid: 'fxsid0001',
      contents: [],
      groups: [],
      reason: { condition: 'success', text: 'bridge restarted' },
    });
  });

  it('accepts a bare <jingle> element as well as the IQ', () => {
    const iq = fixture('session-terminate.xml');
    const jingle = iq.getChild('jingle', 'urn:xmpp:jingle:1');
    expect(jingle).toBeDefined();
    if (jingle) expect(parseJingleIq(jingle)).toEqual(parseJingleIq(iq));
  });

  it('keeps unknown action names as action "other"', () => {
    const a = parseJingleIq(parseXml(`<iq><jingle xmlns="urn:xmpp:jingle:1" action="session-info" sid="s1"/></iq>`));
    expect(a).toEqual({ action: 'other', name: 'session-info', sid: 's1', contents: [], groups: [] });
  });

  it('reads rtcp-fb, ssrc-group and tcp candidates', () => {
    const a = parseJingleIq(
      parseXml(`<iq><jingle xmlns="urn:xmpp:jingle:1" action="source-add" sid="s1">
        <content name="video" creator="responder" senders="initiator">
          <description xmlns="urn:xmpp:jingle:apps:rtp:1" media="video">
            <payload-type id="100" name="VP8" clockrate="90000">
              <rtcp-fb xmlns="urn:xmpp:jingle:apps:rtp:rtcp-fb:0" type="nack" subtype="pli"/>
              <rtcp-fb xmlns="urn:xmpp:jingle:apps:rtp:rtcp-fb:0" type="transport-cc"/>
            </payload-type>
            <ssrc-group xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" semantics="FID">
              <source ssrc="11"/><source ssrc="22"/>
            </ssrc-group>
          </description>
          <transport xmlns="urn:xmpp:jingle:transports:ice-udp:1">
            <candidate component="1" foundation="9" generation="0" ip="127.0.0.1" port="443" priority="1" protocol="TCP" type="host" tcptype="passive"/>
            <rtcp-mux/>
          </transport>
        </content></jingle></iq>`),
    );
    const c = a.contents[0];
    expect(c?.creator).toBe('responder');
    expect(c?.senders).toBe('initiator');
    expect(c?.payloadTypes[0]?.rtcpFbs).toEqual([{ type: 'nack', subtype: 'pli' }, { type: 'transport-cc' }]);
    expect(c?.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: [11, 22] }]);
    expect(c?.transport?.candidates[0]).toMatchObject({ protocol: 'tcp', tcpType: 'passive', port: 443 });
    expect(c?.transport?.rtcpMux).toBe(true);
  });
});

describe('parseJingleIq on malformed input', () => {
  const wrap = (jingleAttrs: string, inner = ''): string =>
    `<iq type="set"><jingle xmlns="urn:xmpp:jingle:1" ${jingleAttrs}>${inner}</jingle></iq>`;
  const audio = (description: string, transport = ''): string =>
    `<content name="audio"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio">${description}</description>${transport}</content>`;

  const cases: Array<[string, string, RegExp]> = [
    ['no jingle child', '<iq type="set"><query xmlns="jabber:iq:version"/></iq>', /no <jingle/],
    ['jingle in the wrong namespace', '<iq><jingle xmlns="urn:xmpp:jingle:0" action="x" sid="1"/></iq>', /no <jingle/],
    ['missing sid', wrap('action="session-initiate"'), /missing 'sid'/],
    ['missing action', wrap('sid="abc"'), /missing 'action'/],
    [
      'non-numeric ssrc',
      wrap('action="source-add" sid="s"', audio('<source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="12ab"/>')),
      /content 'audio' source ssrc: '12ab' is not a non-negative integer/,
    ],
    [
      'ssrc beyond 32 bits',
      wrap('action="source-add" sid="s"', audio('<source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="4294967296"/>')),
      /out of range/,
    ],
    [
      'negative ssrc',
      wrap('action="source-add" sid="s"', audio('<source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="-5"/>')),
      /not a non-negative integer/,
    ],
    [
      'non-numeric payload id',
      wrap('action="session-initiate" sid="s"', audio('<payload-type id="opus" name="opus" clockrate="48000"/>')),
      /payload-type id: 'opus'/,
    ],
    [
      'payload id above 127',
      wrap('action="session-initiate" sid="s"', audio('<payload-type id="200" name="x" clockrate="8000"/>')),
      /out of range/,
    ],
    [
      'non-numeric candidate port',
      wrap(
        'action="transport-info" sid="s"',
        '<content name="audio"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1"><candidate component="1" foundation="1" generation="0" ip="127.0.0.1" port="10k" priority="1" protocol="udp" type="host"/></transport></content>',
      ),
      /candidate port: '10k'/,
    ],
    [
      'candidate without ip',
      wrap(
        'action="transport-info" sid="s"',
        '<content name="audio"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1"><candidate component="1" foundation="1" port="1" priority="1" protocol="udp" type="host"/></transport></content>',
      ),
      /candidate: missing 'ip'/,
    ],
    [
      'unknown candidate type',
      wrap(
        'action="transport-info" sid="s"',
        '<content name="audio"><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1"><candidate component="1" foundation="1" ip="127.0.0.1" port="1" priority="1" protocol="udp" type="magic"/></transport></content>',
      ),
      /type='magic'/,
    ],
    ['content without name', wrap('action="source-add" sid="s"', '<content/>'), /<content>: missing 'name'/],
    [
      'bad senders value',
      wrap('action="source-add" sid="s"', '<content name="audio" senders="everyone"/>'),
      /senders='everyone'/,
    ],
  ];

  it.each(cases)('rejects %s with a bad-request JingleParseError', (_what, text, message) => {
    let caught: unknown;
    try {
      parseJingleIq(parseXml(text));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JingleParseError);
    const err = caught as JingleParseError;
    expect(err.xmppCondition).toBe('bad-request');
    expect(err.message).toMatch(message);
    const errorEl = err.iqErrorElement();
    expect(errorEl.attrs['type']).toBe('modify');
    expect(errorEl.getChild('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
  });

  it('skips unknown children instead of failing', () => {
    const a = parseJingleIq(
      parseXml(
        wrap(
          'action="source-add" sid="s"',
          `<unknown xmlns="urn:example"/>${audio('<source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="7"><extra xmlns="urn:example"/></source><payload-type xmlns="urn:other" id="zz"/>')}`,
        ),
      ),
    );
    expect(a.contents[0]?.sources).toEqual([{ ssrc: 7, parameters: {} }]);
    expect(a.contents[0]?.payloadTypes).toEqual([]);
  });
});
