import { describe, expect, it } from 'vitest';
import { xml } from '../../../src/xmpp/connection.js';
import { parseJingleIq } from '../../../src/xmpp/jingle/index.js';
import {
  buildSessionInitiate,
  buildSessionTerminate,
  buildSourceAdd,
  buildSourceRemove,
  buildTransportInfo,
  loopbackTransport,
  type FocusTransport,
} from '../../support/fake-focus/jingle-builders.js';

// The fake focus' Jingle must read like Jicofo's to the gateway's own parser (contract §2).
const transport: FocusTransport = {
  ...loopbackTransport(40000),
  candidates: [
    { foundation: '1', component: 1, protocol: 'udp', priority: 2130706431, ip: '127.0.0.1', port: 40000, type: 'host' },
    { foundation: '2', component: 1, protocol: 'udp', priority: 1694498815, ip: '127.0.0.2', port: 40001, type: 'srflx', relAddr: '127.0.0.1', relPort: 40000 },
  ],
};
const sources = [
  { ssrc: 111111, owner: 'aaaa1111', name: 'aaaa1111-a0', msid: 'aaaa1111-audio-0 t0' },
  { ssrc: 222222, owner: 'jvb' },
];
const iq = (jingle: ReturnType<typeof buildSessionInitiate>) => xml('iq', { type: 'set' }, jingle);

describe('fake focus Jingle builders', () => {
  it('build an audio-only, Jicofo-shaped session-initiate', () => {
    const a = parseJingleIq(
      iq(buildSessionInitiate({ sid: 'sid1', initiator: 'focus@auth.meet.test/focus', transport, sources, bridgeSessionId: 'b1' })),
    );
    expect(a.action).toBe('session-initiate');
    expect(a.sid).toBe('sid1');
    expect(a.initiator).toBe('focus@auth.meet.test/focus');
    expect(a.groups).toEqual([{ semantics: 'BUNDLE', contents: ['audio'] }]);
    expect(a.bridgeSession?.id).toBe('b1');
    expect(a.contents).toHaveLength(1);
    const c = a.contents[0]!;
    expect(c).toMatchObject({ name: 'audio', creator: 'initiator', senders: 'both', media: 'audio', rtcpMux: true });
    expect(c.payloadTypes.map((p) => [p.id, p.name, p.clockRate, p.channels])).toEqual([
      [111, 'opus', 48000, 2],
      [126, 'telephone-event', 8000, 1],
    ]);
    expect(c.payloadTypes[0]!.parameters).toEqual({ minptime: '10', useinbandfec: '1' });
    expect(c.headerExtensions.map((h) => [h.id, h.uri])).toEqual([
      [1, 'urn:ietf:params:rtp-hdrext:ssrc-audio-level'],
      [10, 'urn:ietf:params:rtp-hdrext:sdes:mid'],
    ]);
    expect(c.sources.map((s) => [s.ssrc, s.owner])).toEqual([
      [111111, 'aaaa1111'],
      [222222, 'jvb'],
    ]);
    expect(c.transport).toMatchObject({ ufrag: transport.ufrag, pwd: transport.pwd, rtcpMux: true });
    expect(c.transport?.fingerprints).toEqual([
      expect.objectContaining({ hash: 'sha-256', setup: 'actpass', value: transport.fingerprint.value }),
    ]);
    expect(c.transport?.candidates.map((x) => [x.ip, x.port, x.type, x.relAddr, x.relPort])).toEqual([
      ['127.0.0.1', 40000, 'host', undefined, undefined],
      ['127.0.0.2', 40001, 'srflx', '127.0.0.1', 40000],
    ]);
  });

  it('build source-add / source-remove with owners and no transport', () => {
    for (const [build, action] of [
      [buildSourceAdd, 'source-add'],
      [buildSourceRemove, 'source-remove'],
    ] as const) {
      const a = parseJingleIq(iq(build('sid1', sources)));
      expect(a.action).toBe(action);
      expect(a.contents[0]?.transport).toBeUndefined();
      expect(a.contents[0]?.sources.map((s) => [s.ssrc, s.owner, s.msid])).toEqual([
        [111111, 'aaaa1111', 'aaaa1111-audio-0 t0'],
        [222222, 'jvb', undefined],
      ]);
    }
  });

  it('build transport-info and session-terminate', () => {
    const info = parseJingleIq(iq(buildTransportInfo('sid1', transport)));
    expect(info.action).toBe('transport-info');
    expect(info.contents[0]?.transport?.candidates).toHaveLength(2);
    const end = parseJingleIq(iq(buildSessionTerminate('sid1', 'gone', 'bye')));
    expect(end.action).toBe('session-terminate');
    expect(end.reason).toEqual({ condition: 'gone', text: 'bye' });
  });
});
