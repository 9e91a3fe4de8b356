import type { Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/log.js';
import {
  JingleSession,
  JingleSessionError,
  NegotiationError,
  parseJingleIq,
  type InitiateEvent,
  type JingleAction,
  type LocalMedia,
  type RemoteSource,
  type SessionInitiate,
  type TerminatedEvent,
  type TransportInfoEvent,
  type TransportReplaceEvent,
} from '../../../../src/xmpp/jingle/index.js';
import { fixture } from './helpers.js';

const FOCUS = 'roomfx@conference.example.test/focus';
const SELF = 'roomfx@conference.example.test/0a1b2c3d';

const local: LocalMedia = {
  ufrag: 'gwU1',
  pwd: 'gwP1gwP1gwP1gwP1gwP1gw',
  candidates: [
    { foundation: '1', component: 1, protocol: 'udp', priority: 2130706431, ip: '127.0.0.1', port: 20000, type: 'host', generation: 0 },
  ],
  fingerprint: { hash: 'sha-256', value: 'AB:CD' },
  ssrc: 305419896,
  cname: 'gwcname',
  msid: 'gwstream gwtrack',
};

function setup(send?: (iq: Element) => Promise<void>) {
  const sent: Element[] = [];
  const session = new JingleSession({
    localJid: SELF,
    focusJid: FOCUS,
    logger: silentLogger(),
    send:
      send ??
      (async (iq) => {
        sent.push(iq);
      }),
  });
  return { session, sent };
}

const parse = (name: string): JingleAction => parseJingleIq(fixture(name));
const initiate = (): SessionInitiate => parse('session-initiate.xml') as SessionInitiate;
const jingleOf = (iq: Element | undefined): Element | undefined => iq?.getChild('jingle', 'urn:xmpp:jingle:1');
const actionOf = (iq: Element | undefined): string | undefined => jingleOf(iq)?.attrs['action'] as string | undefined;

function catchError(fn: () => void): JingleSessionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(JingleSessionError);
    return err as JingleSessionError;
  }
  throw new Error('expected a JingleSessionError');
}

const owners = (sources: RemoteSource[]): Array<[number, string | undefined]> => sources.map((s) => [s.ssrc, s.owner]);

describe('JingleSession: offer and answer', () => {
  it('announces the offer with its negotiation, bundle and remote sources', () => {
    const { session } = setup();
    const events: InitiateEvent[] = [];
    session.on('initiate', (e) => events.push(e));
    session.handle(initiate());

    expect(session.state).toBe('pending');
    expect(session.sid).toBe('fxsid0001');
    expect(events).toHaveLength(1);
    const e = events[0];
    expect(e?.sid).toBe('fxsid0001');
    expect(e?.bundle).toEqual(['audio']);
    expect(e?.resumed).toBe(false);
    expect(e?.negotiated).toMatchObject({ opusPt: 111, telephoneEventPt: 126, audioLevelExtId: 1, midExtId: 10 });
    expect(e?.content.transport?.ufrag).toBe('fxufrag1');
    expect(owners(e?.sources ?? [])).toEqual([
      [1010101010, 'jvb'],
      [2020202020, 'ab12cd34'],
      [4040404040, 'ef56ab78'],
    ]);
    expect(session.ownerOf(2020202020)).toBe('ab12cd34');
    expect(session.remoteSources()).toHaveLength(3);
  });

  it('accept sends transport-info with our ICE parameters first, then session-accept', async () => {
    const { session, sent } = setup();
    session.handle(initiate());
    await session.accept(local);

    expect(sent.map(actionOf)).toEqual(['transport-info', 'session-accept']);
    for (const iq of sent) {
      expect(iq.attrs['to']).toBe(FOCUS);
      expect(iq.attrs['type']).toBe('set');
      expect(jingleOf(iq)?.attrs['sid']).toBe('fxsid0001');
    }
    const ti = parseJingleIq(sent[0] as Element);
    const t = ti.contents[0]?.transport;
    expect(ti.contents[0]?.name).toBe('audio');
    expect(t?.ufrag).toBe('gwU1');
    expect(t?.pwd).toBe('gwP1gwP1gwP1gwP1gwP1gw');
    // XEP-0176 ids and Jicofo's network attribute are filled in when the engine gave none.
    expect(t?.candidates[0]).toMatchObject({ ip: '127.0.0.1', port: 20000, network: 0 });
    expect(t?.candidates[0]?.id).toMatch(/^[0-9a-f]{10}$/);

    const sa = parseJingleIq(sent[1] as Element);
    expect(sa.responder).toBe(SELF);
    const c = sa.contents[0];
    expect(c?.payloadTypes.map((p) => [p.id, p.name])).toEqual([
      [111, 'opus'],
      [126, 'telephone-event'],
    ]);
    expect(c?.headerExtensions.map((h) => h.id)).toEqual([1, 10]);
    expect(c?.sources.map((s) => [s.ssrc, s.parameters['cname'], s.msid])).toEqual([[305419896, 'gwcname', 'gwstream gwtrack']]);
    expect(c?.transport?.fingerprints).toEqual([{ hash: 'sha-256', setup: 'active', value: 'AB:CD' }]);
    expect(c?.transport?.candidates).toEqual([]);
    expect(session.state).toBe('active');
  });

  it('does not send session-accept before the transport-info send has completed', async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { session } = setup(async (iq) => {
      order.push(`start ${actionOf(iq)}`);
      if (actionOf(iq) === 'transport-info') await gate;
      order.push(`done ${actionOf(iq)}`);
    });
    session.handle(initiate());
    const accepting = session.accept(local);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['start transport-info']);
    release();
    await accepting;
    expect(order).toEqual(['start transport-info', 'done transport-info', 'start session-accept', 'done session-accept']);
  });

  it('refuses a second accept and an accept before any offer', async () => {
    const { session } = setup();
    await expect(session.accept(local)).rejects.toBeInstanceOf(JingleSessionError);
    session.handle(initiate());
    await session.accept(local);
    await expect(session.accept(local)).rejects.toMatchObject({ xmppCondition: 'unexpected-request' });
  });

  it('trickles later candidates with the accepted credentials', async () => {
    const { session, sent } = setup();
    await expect(session.sendCandidates(local.candidates)).rejects.toBeInstanceOf(JingleSessionError);
    session.handle(initiate());
    await session.accept(local);
    await session.sendCandidates([{ ...local.candidates[0]!, foundation: '2', type: 'srflx', ip: '203.0.113.5', relAddr: '127.0.0.1', relPort: 20000, id: 'x1' }]);
    const ti = parseJingleIq(sent[2] as Element);
    expect(ti.action).toBe('transport-info');
    expect(ti.contents[0]?.transport).toMatchObject({ ufrag: 'gwU1', pwd: local.pwd });
    expect(ti.contents[0]?.transport?.candidates).toEqual([
      expect.objectContaining({ id: 'x1', type: 'srflx', ip: '203.0.113.5', relAddr: '127.0.0.1' }),
    ]);
  });
});

describe('JingleSession: updates from the focus', () => {
  it('source-add and source-remove keep the owner map current', () => {
    const { session } = setup();
    const added: RemoteSource[][] = [];
    const removed: RemoteSource[][] = [];
    session.on('sourcesAdded', (s) => added.push(s));
    session.on('sourcesRemoved', (s) => removed.push(s));
    session.handle(initiate());

    session.handle(parse('source-add.xml'));
    expect(owners(added[0] ?? [])).toEqual([
      [3000000001, '99aa88bb'],
      [4294967295, '77cc66dd'],
    ]);
    expect(added[0]?.[0]).toMatchObject({ media: 'audio', contentName: 'audio', name: '99aa88bb-a0' });
    expect(session.ownerOf(4294967295)).toBe('77cc66dd');
    expect(session.remoteSources()).toHaveLength(5);

    session.handle(parse('source-remove.xml'));
    expect(owners(removed[0] ?? [])).toEqual([[2020202020, 'ab12cd34']]);
    expect(session.ownerOf(2020202020)).toBeUndefined();
    expect(session.remoteSources()).toHaveLength(4);

    // Removing it again changes nothing and announces nothing.
    session.handle(parse('source-remove.xml'));
    expect(removed).toHaveLength(1);
  });

  it('transport-info adds candidates; new credentials are an ICE restart', () => {
    const { session } = setup();
    const infos: TransportInfoEvent[] = [];
    session.on('transportInfo', (e) => infos.push(e));
    session.handle(initiate());

    session.handle(parse('transport-info.xml'));
    expect(infos[0]).toMatchObject({ contentName: 'audio', iceRestart: false, ufrag: 'fxufrag1' });
    expect(infos[0]?.candidates.map((c) => c.type)).toEqual(['relay']);
    expect(session.remoteContent?.transport?.candidates.map((c) => c.foundation)).toEqual(['1', '2', '3']);

    session.handle(parse('transport-info-restart.xml'));
    expect(infos[1]).toMatchObject({ iceRestart: true, ufrag: 'fxufrag2', pwd: 'fxpwdRESTART456789abcdef' });
    const t = session.remoteContent?.transport;
    expect(t?.ufrag).toBe('fxufrag2');
    expect(t?.candidates.map((c) => c.id)).toEqual(['fxcand9']);
    // The DTLS fingerprint is not part of an ICE restart and must survive it.
    expect(t?.fingerprints).toHaveLength(1);
  });

  it('transport-replace brings the new transport and the source differences, and can be accepted', async () => {
    const { session, sent } = setup();
    const replaces: TransportReplaceEvent[] = [];
    const added: RemoteSource[][] = [];
    const removed: RemoteSource[][] = [];
    session.on('transportReplace', (e) => replaces.push(e));
    session.on('sourcesAdded', (s) => added.push(s));
    session.on('sourcesRemoved', (s) => removed.push(s));
    session.handle(initiate());
    await session.accept(local);

    session.handle(parse('transport-replace.xml'));
    expect(replaces[0]?.transport?.ufrag).toBe('fxufragB');
    expect(replaces[0]?.negotiated.opusPt).toBe(111);
    expect(owners(removed[0] ?? [])).toEqual([[2020202020, 'ab12cd34']]);
    expect(owners(added[0] ?? [])).toEqual([[3050505050, '1234abcd']]);
    expect(session.remoteContent?.transport?.ufrag).toBe('fxufragB');

    await session.acceptTransport({ ufrag: 'gwU2', pwd: 'gwP2gwP2gwP2gwP2gwP2gw', candidates: local.candidates, fingerprint: local.fingerprint });
    const ta = parseJingleIq(sent[2] as Element);
    expect(ta.action).toBe('transport-accept');
    expect(ta.contents[0]?.transport).toMatchObject({ ufrag: 'gwU2' });
    expect(ta.contents[0]?.transport?.fingerprints[0]?.setup).toBe('active');
  });

  it('answers session-info pings and ignores content-modify', () => {
    const { session } = setup();
    session.handle(initiate());
    expect(() => session.handle({ action: 'other', name: 'session-info', sid: 'fxsid0001', contents: [], groups: [] })).not.toThrow();
    expect(() => session.handle({ action: 'content-modify', sid: 'fxsid0001', contents: [], groups: [] })).not.toThrow();
    expect(session.state).toBe('pending');
  });
});

describe('JingleSession: termination and resume', () => {
  it('terminate sends one session-terminate however often it is called', async () => {
    const { session, sent } = setup();
    session.handle(initiate());
    await session.accept(local);
    await Promise.all([session.terminate('success', 'caller hung up'), session.terminate('gone')]);
    await session.terminate('success');
    const terminates = sent.filter((iq) => actionOf(iq) === 'session-terminate');
    expect(terminates).toHaveLength(1);
    expect(parseJingleIq(terminates[0] as Element).reason).toEqual({ condition: 'success', text: 'caller hung up' });
    expect(session.state).toBe('terminated');
    expect(session.remoteSources()).toEqual([]);
  });

  it('terminate without a session sends nothing', async () => {
    const { session, sent } = setup();
    await session.terminate('success');
    expect(sent).toEqual([]);
    expect(session.state).toBe('terminated');
  });

  it('terminate survives a failing send', async () => {
    const { session } = setup(async (iq) => {
      if (actionOf(iq) === 'session-terminate') throw new Error('connection closed');
    });
    session.handle(initiate());
    await expect(session.terminate('success')).resolves.toBeUndefined();
    expect(session.state).toBe('terminated');
  });

  it('a remote session-terminate leaves the session resumable by a new session-initiate', async () => {
    const { session, sent } = setup();
    const terminated: TerminatedEvent[] = [];
    const initiates: InitiateEvent[] = [];
    session.on('terminated', (e) => terminated.push(e));
    session.on('initiate', (e) => initiates.push(e));
    session.handle(initiate());
    await session.accept(local);

    session.handle(parse('session-terminate.xml'));
    expect(terminated).toEqual([{ sid: 'fxsid0001', reason: { condition: 'success', text: 'bridge restarted' }, by: 'remote' }]);
    expect(session.state).toBe('resumable');
    expect(session.remoteSources()).toEqual([]);

    // Late updates for the old session are refused.
    expect(catchError(() => session.handle(parse('source-add.xml'))).jingleCondition).toBe('unknown-session');
    // The old sid can't come back.
    expect(catchError(() => session.handle(initiate())).xmppCondition).toBe('unexpected-request');

    session.handle({ ...initiate(), sid: 'fxsid0002' });
    expect(session.state).toBe('pending');
    expect(initiates[1]).toMatchObject({ sid: 'fxsid0002', resumed: true });
    expect(session.remoteSources()).toHaveLength(3);

    await session.accept(local);
    expect(session.state).toBe('active');
    expect(sent.slice(2).map((iq) => [actionOf(iq), jingleOf(iq)?.attrs['sid']])).toEqual([
      ['transport-info', 'fxsid0002'],
      ['session-accept', 'fxsid0002'],
    ]);
  });

  it('an accept interrupted by a remote terminate sends no session-accept', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const actions: Array<string | undefined> = [];
    const { session } = setup(async (iq) => {
      actions.push(actionOf(iq));
      if (actionOf(iq) === 'transport-info') await gate;
    });
    session.handle(initiate());
    const accepting = session.accept(local);
    session.handle(parse('session-terminate.xml'));
    release();
    await expect(accepting).rejects.toMatchObject({ jingleCondition: 'unknown-session' });
    expect(actions).toEqual(['transport-info']);
    expect(session.state).toBe('resumable');
  });

  it('after a local terminate nothing is accepted any more', async () => {
    const { session } = setup();
    session.handle(initiate());
    await session.terminate('success');
    expect(catchError(() => session.handle(parse('source-add.xml'))).xmppCondition).toBe('item-not-found');
    expect(catchError(() => session.handle({ ...initiate(), sid: 'other' })).xmppCondition).toBe('unexpected-request');
  });
});

describe('JingleSession: out-of-order and unknown actions', () => {
  it('rejects actions before session-initiate with unknown-session', () => {
    const { session } = setup();
    for (const name of ['source-add.xml', 'source-remove.xml', 'transport-info.xml', 'transport-replace.xml', 'session-terminate.xml']) {
      const err = catchError(() => session.handle(parse(name)));
      expect(err.xmppCondition).toBe('item-not-found');
      expect(err.jingleCondition).toBe('unknown-session');
      const el = err.iqErrorElement();
      expect(el.attrs['type']).toBe('cancel');
      expect(el.getChild('item-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();
      expect(el.getChild('unknown-session', 'urn:xmpp:jingle:errors:1')).toBeDefined();
    }
    expect(session.state).toBe('idle');
  });

  it('rejects an action for another sid with unknown-session', () => {
    const { session } = setup();
    session.handle(initiate());
    const err = catchError(() => session.handle({ ...parse('source-add.xml'), sid: 'not-ours' }));
    expect(err.jingleCondition).toBe('unknown-session');
    expect(err.message).toMatch(/not-ours/);
    expect(session.remoteSources()).toHaveLength(3);
  });

  it('rejects a second session-initiate and responder-only actions as out-of-order', () => {
    const { session } = setup();
    session.handle(initiate());
    const again = catchError(() => session.handle({ ...initiate(), sid: 'fxsid0009' }));
    expect(again.xmppCondition).toBe('unexpected-request');
    expect(again.jingleCondition).toBe('out-of-order');
    expect(session.sid).toBe('fxsid0001');
    const accept = catchError(() => session.handle({ ...initiate(), action: 'session-accept' }));
    expect(accept.jingleCondition).toBe('out-of-order');
  });

  it('rejects unknown actions with feature-not-implemented', () => {
    const { session } = setup();
    session.handle(initiate());
    const err = catchError(() => session.handle({ action: 'other', name: 'description-info', sid: 'fxsid0001', contents: [], groups: [] }));
    expect(err.xmppCondition).toBe('feature-not-implemented');
  });

  it('acknowledges an offer without opus, reports it and terminates with incompatible-parameters', async () => {
    const { session, sent } = setup();
    const errors: Error[] = [];
    session.on('offerRefused', (e) => errors.push(e));
    const offer = initiate();
    const content = offer.contents[0]!;
    session.handle({ ...offer, contents: [{ ...content, payloadTypes: content.payloadTypes.filter((p) => p.name !== 'opus') }] });
    expect(errors[0]).toBeInstanceOf(NegotiationError);
    // The terminate waits one turn so that the caller's IQ result goes out first.
    expect(sent).toEqual([]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(sent.map(actionOf)).toEqual(['session-terminate']);
    expect(parseJingleIq(sent[0] as Element).reason?.condition).toBe('incompatible-parameters');
    expect(session.state).toBe('terminated');
  });

  it('a throwing listener does not break the state machine', () => {
    const { session } = setup();
    session.on('initiate', () => {
      throw new Error('listener bug');
    });
    session.handle(initiate());
    expect(session.state).toBe('pending');
    session.handle(parse('source-add.xml'));
    expect(session.remoteSources()).toHaveLength(5);
  });
});
