import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { createCallSignaling, type CallSignaling } from '../../../src/xmpp/call-signaling.js';
import type { Element } from '../../../src/xmpp/connection.js';
import type { InitiateEvent } from '../../../src/xmpp/jingle/index.js';
import {
  buildSessionInitiate,
  buildSessionTerminate,
  buildSourceAdd,
  buildSourceRemove,
  FakeFocus,
  loopbackTransport,
} from '../../support/fake-focus.js';
import { startConferenceProsody } from '../../support/fake-focus/session-fixture.js';
import { prosodyAvailable, type ProsodyHarness } from '../../support/prosody.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const NS_JINGLE = 'urn:xmpp:jingle:1';
const LOCAL = {
  ufrag: 'gwufrag1',
  pwd: 'gwpassword0123456789abcd',
  candidates: [{ foundation: '1', component: 1, protocol: 'udp', priority: 2130706431, ip: '127.0.0.1', port: 20012, type: 'host' as const, generation: 0 }],
  fingerprint: { hash: 'sha-256', value: 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99' },
  ssrc: 2864434397,
  cname: 'gw-cname',
  msid: 'gw-stream gw-track',
};

function jingleOf(s: Element): Element | undefined {
  return s.is('iq') && s.attrs['type'] === 'set' ? s.getChild('jingle', NS_JINGLE) : undefined;
}

describe.skipIf(!available)('call signaling: a conference session carrying Jingle with the focus', () => {
  let prosody: ProsodyHarness;
  let focus: FakeFocus;
  let call: CallSignaling | undefined;
  let roomCounter = 0;

  beforeAll(async () => {
    prosody = await startConferenceProsody();
    focus = await FakeFocus.start(prosody);
  });
  afterEach(async () => {
    await call?.conference.close();
    call = undefined;
  });
  afterAll(async () => {
    await focus?.close();
    await prosody?.dispose();
  });

  async function joinedCall(): Promise<{ room: string; occupant: string; call: CallSignaling }> {
    const room = `sig${++roomCounter}-${process.pid}@${prosody.mucDomain}`;
    await focus.hostRoom(room);
    call = createCallSignaling(
      {
        service: prosody.service,
        login: { mode: 'anonymous', domain: prosody.domain },
        allowPlain: true,
        focusJid: focus.jid,
        roomJid: room,
        nick: 'Alice Phone',
        direction: 'in',
        audioMuteFeature: true,
        version: 'test',
        joinTimeoutMs: 3000,
        logger: silentLogger(),
      },
      silentLogger(),
    );
    const outcome = await call.conference.start();
    expect(outcome.kind).toBe('joined');
    const gw = await focus.waitForGateway(room);
    return { room, occupant: gw.occupantJid, call };
  }

  it('answers session-initiate with transport-info, then session-accept of exactly the contract shape', async () => {
    const { occupant, call } = await joinedCall();
    const initiated = call.jingle.waitFor('initiate', 5000);
    const reply = await focus.sendJingle(
      occupant,
      buildSessionInitiate({
        sid: 'sid-1',
        initiator: focus.jid,
        transport: loopbackTransport(10000),
        sources: [
          { ssrc: 1111, owner: 'web1' },
          { ssrc: 2222, owner: 'web2' },
          { ssrc: 3333, owner: 'jvb' },
        ],
        bridgeSessionId: 'bs-1',
      }),
    );
    expect(reply.attrs['type']).toBe('result');
    const [ev] = (await initiated) as [InitiateEvent];
    expect(ev.negotiated).toMatchObject({ opusPt: 111, telephoneEventPt: 126, audioLevelExtId: 1 });
    expect(ev.sources.map((s) => [s.ssrc, s.owner])).toEqual([
      [1111, 'web1'],
      [2222, 'web2'],
      [3333, 'jvb'],
    ]);
    expect(ev.content.transport?.ufrag).toBe('bridgeufrag');

    await call.jingle.accept(LOCAL);
    const accept = await focus.waitFor((s) => jingleOf(s)?.attrs['action'] === 'session-accept');
    const jingleIqs = focus.received.filter((s) => jingleOf(s) !== undefined && s.attrs['from'] === occupant);
    expect(jingleIqs.map((s) => jingleOf(s)?.attrs['action'])).toEqual(['transport-info', 'session-accept']);

    const ti = jingleOf(jingleIqs[0] as Element) as Element;
    expect(ti.attrs['sid']).toBe('sid-1');
    const tiTransport = ti.getChild('content')?.getChild('transport', 'urn:xmpp:jingle:transports:ice-udp:1');
    expect(tiTransport?.attrs).toMatchObject({ ufrag: LOCAL.ufrag, pwd: LOCAL.pwd });
    expect(tiTransport?.getChildren('candidate').map((c) => [c.attrs['ip'], c.attrs['port'], c.attrs['type']])).toEqual([['127.0.0.1', '20012', 'host']]);

    const sa = jingleOf(accept) as Element;
    expect(sa.attrs).toMatchObject({ action: 'session-accept', sid: 'sid-1', responder: occupant });
    const content = sa.getChild('content');
    expect(content?.attrs['name']).toBe('audio');
    const desc = content?.getChild('description', 'urn:xmpp:jingle:apps:rtp:1');
    expect(desc?.getChildren('payload-type').map((p) => [p.attrs['id'], p.attrs['name'], p.attrs['clockrate']])).toEqual([
      ['111', 'opus', '48000'],
      ['126', 'telephone-event', '8000'],
    ]);
    const exts = desc?.getChildren('rtp-hdrext').map((e) => e.attrs['uri']) ?? [];
    expect(exts).toContain('urn:ietf:params:rtp-hdrext:ssrc-audio-level');
    expect(exts).not.toContain('http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01');
    const sources = desc?.getChildren('source', 'urn:xmpp:jingle:apps:rtp:ssma:0') ?? [];
    expect(sources.map((s) => s.attrs['ssrc'])).toEqual([String(LOCAL.ssrc)]);
    const params = Object.fromEntries((sources[0]?.getChildren('parameter') ?? []).map((p) => [p.attrs['name'], p.attrs['value']]));
    expect(params).toMatchObject({ cname: LOCAL.cname, msid: LOCAL.msid });
    const fp = content?.getChild('transport')?.getChild('fingerprint', 'urn:xmpp:jingle:apps:dtls:0');
    expect(fp?.attrs).toMatchObject({ hash: 'sha-256', setup: 'active' });
    expect(fp?.text()).toBe(LOCAL.fingerprint.value);
  });

  it('follows source-add and source-remove, survives a remote terminate and resumes with a new session', async () => {
    const { occupant, call } = await joinedCall();
    await focus.sendJingle(occupant, buildSessionInitiate({ sid: 's1', initiator: focus.jid, transport: loopbackTransport(), sources: [{ ssrc: 10, owner: 'a' }] }));
    await call.jingle.accept(LOCAL);

    const added = call.jingle.waitFor('sourcesAdded', 5000);
    expect((await focus.sendJingle(occupant, buildSourceAdd('s1', [{ ssrc: 20, owner: 'b' }]))).attrs['type']).toBe('result');
    await added;
    expect(call.jingle.ownerOf(20)).toBe('b');
    const removed = call.jingle.waitFor('sourcesRemoved', 5000);
    await focus.sendJingle(occupant, buildSourceRemove('s1', [{ ssrc: 10, owner: 'a' }]));
    await removed;
    expect(call.jingle.remoteSources().map((s) => s.ssrc)).toEqual([20]);

    // A source-add for a session that doesn't exist is refused with an IQ error.
    const bad = await focus.sendJingle(occupant, buildSourceAdd('no-such-sid', [{ ssrc: 30, owner: 'c' }]));
    expect(bad.attrs['type']).toBe('error');

    const terminated = call.jingle.waitFor('terminated', 5000);
    await focus.sendJingle(occupant, buildSessionTerminate('s1', 'success'));
    await terminated;
    expect(call.jingle.state).toBe('resumable');

    const resumed = call.jingle.waitFor('initiate', 5000);
    await focus.sendJingle(occupant, buildSessionInitiate({ sid: 's2', initiator: focus.jid, transport: loopbackTransport(), sources: [{ ssrc: 40, owner: 'd' }] }));
    const [ev] = (await resumed) as [InitiateEvent];
    expect(ev.resumed).toBe(true);
    expect(ev.sid).toBe('s2');
  });

  it('sends session-terminate when the gateway ends the call', async () => {
    const { occupant, call } = await joinedCall();
    await focus.sendJingle(occupant, buildSessionInitiate({ sid: 's9', initiator: focus.jid, transport: loopbackTransport(), sources: [] }));
    await call.jingle.accept(LOCAL);
    await call.jingle.terminate('success', 'caller hung up');
    const t = await focus.waitFor((s) => jingleOf(s)?.attrs['action'] === 'session-terminate' && s.attrs['from'] === occupant);
    const reason = jingleOf(t)?.getChild('reason');
    expect(reason?.getChild('success')).toBeDefined();
    expect(reason?.getChildText('text')).toBe('caller hung up');
  });
});
