import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import {
  answerHeaderExtensions,
  answerPayloadTypes,
  buildJingle,
  buildJingleIq,
  buildSessionAccept,
  buildSessionTerminate,
  buildTransportAccept,
  buildTransportInfo,
  findAudioContent,
  negotiateAudio,
  parseJingleIq,
  type IceCandidate,
} from '../../../../src/xmpp/jingle/index.js';
import { canonical, fixture, reparse } from './helpers.js';

const FOCUS = 'roomfx@conference.example.test/focus';
const SELF = 'roomfx@conference.example.test/0a1b2c3d';
const GW_FINGERPRINT =
  '0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9';

const gwCandidates: IceCandidate[] = [
  {
    foundation: '1',
    component: 1,
    protocol: 'udp',
    priority: 2130706431,
    ip: '127.0.0.1',
    port: 20012,
    type: 'host',
    generation: 0,
    network: 0,
    id: 'gwc1',
  },
  {
    foundation: '2',
    component: 1,
    protocol: 'udp',
    priority: 1694498815,
    ip: '203.0.113.9',
    port: 20012,
    type: 'srflx',
    relAddr: '127.0.0.1',
    relPort: 20012,
    generation: 0,
    network: 0,
    id: 'gwc2',
  },
];

function negotiatedFromFixture() {
  return negotiateAudio(findAudioContent(parseJingleIq(fixture('session-initiate.xml')).contents));
}

describe('outgoing stanzas match the contract shapes', () => {
  it('transport-info carries ufrag, pwd and candidates in the ice-udp namespace', () => {
    const built = buildTransportInfo({
      to: FOCUS,
      sid: 'fxsid0001',
      contentName: 'audio',
      ufrag: 'gwufrag1',
      pwd: 'gwpwd0123456789abcdefghij',
      candidates: gwCandidates,
    });
    const expected = canonical(fixture('gateway-transport-info.xml'));
    expect(canonical(built)).toEqual(expected);
    // Namespaces must survive serialization, not only live in the element tree.
    expect(canonical(reparse(built))).toEqual(expected);
  });

  it('session-accept answers opus + telephone-event with our single source and setup=active', () => {
    const n = negotiatedFromFixture();
    const built = buildSessionAccept({
      to: FOCUS,
      sid: 'fxsid0001',
      responder: SELF,
      content: {
        name: n.mid,
        payloadTypes: answerPayloadTypes(n),
        headerExtensions: answerHeaderExtensions(n),
        ssrc: 2864434397,
        cname: 'gw-cname-fx',
        msid: 'gwstream gwtrack',
        fingerprint: { hash: 'sha-256', setup: 'active', value: GW_FINGERPRINT },
      },
    });
    const expected = canonical(fixture('gateway-session-accept.xml'));
    expect(canonical(built)).toEqual(expected);
    expect(canonical(reparse(built))).toEqual(expected);
  });

  it('session-accept can carry ICE credentials and candidates (browser-style answer)', () => {
    const built = buildSessionAccept({
      to: FOCUS,
      sid: 's',
      responder: SELF,
      content: {
        name: 'audio',
        payloadTypes: [],
        headerExtensions: [],
        ssrc: 1,
        cname: 'c',
        msid: 'm',
        ufrag: 'u',
        pwd: 'p',
        candidates: gwCandidates,
        fingerprint: { hash: 'sha-256', setup: 'active', value: GW_FINGERPRINT },
      },
    });
    const parsed = parseJingleIq(reparse(built));
    const t = parsed.contents[0]?.transport;
    expect(t?.ufrag).toBe('u');
    expect(t?.pwd).toBe('p');
    expect(t?.candidates).toEqual(gwCandidates);
    // An msid without two halves has no legacy mslabel/label split.
    expect(parsed.contents[0]?.sources[0]?.parameters).toEqual({ cname: 'c', msid: 'm' });
  });

  it('session-terminate carries the reason condition and text', () => {
    const built = buildSessionTerminate({ to: FOCUS, sid: 'fxsid0001', reason: 'success', text: 'caller hung up' });
    expect(canonical(built)).toEqual(canonical(fixture('gateway-session-terminate.xml')));
    const parsed = parseJingleIq(reparse(built));
    expect(parsed.reason).toEqual({ condition: 'success', text: 'caller hung up' });
  });

  it('session-terminate without text has only the condition', () => {
    const built = buildSessionTerminate({ to: FOCUS, sid: 'x', reason: 'failed-transport' });
    const reason = built.getChild('jingle', 'urn:xmpp:jingle:1')?.getChild('reason');
    expect(reason?.getChildElements().map((c) => c.name)).toEqual(['failed-transport']);
  });

  it('transport-accept has the transport-info shape plus our fingerprint', () => {
    const built = buildTransportAccept({
      to: FOCUS,
      sid: 'fxsid0001',
      contentName: 'audio',
      ufrag: 'u2',
      pwd: 'p2',
      candidates: gwCandidates.slice(0, 1),
      fingerprint: { hash: 'sha-256', setup: 'active', value: GW_FINGERPRINT },
    });
    const parsed = parseJingleIq(reparse(built));
    expect(parsed.action).toBe('transport-accept');
    expect(parsed.contents[0]?.transport?.fingerprints).toEqual([
      { hash: 'sha-256', setup: 'active', value: GW_FINGERPRINT },
    ]);
  });

  it('buildJingleIq wraps a jingle element in an iq set, with an id when given', () => {
    const iq = buildJingleIq(FOCUS, xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'x', sid: 'y' }), 'id-7');
    expect(iq.attrs).toEqual({ type: 'set', to: FOCUS, id: 'id-7' });
    expect(iq.getChild('jingle', 'urn:xmpp:jingle:1')?.attrs['sid']).toBe('y');
  });
});

describe('buildJingle is the inverse of parseJingleIq', () => {
  it.each([
    'session-initiate.xml',
    'source-add.xml',
    'source-remove.xml',
    'transport-info.xml',
    'transport-info-restart.xml',
    'transport-replace.xml',
    'session-terminate.xml',
  ])('%s survives parse → build → serialize → parse', (name) => {
    const parsed = parseJingleIq(fixture(name));
    const rebuilt = parseJingleIq(reparse(buildJingleIq(FOCUS, buildJingle(parsed))));
    expect(rebuilt).toEqual(parsed);
  });
});
