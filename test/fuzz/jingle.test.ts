/**
 * Hostile Jingle: stanzas from the fixtures and the shared reference stanzas, mutated element by
 * element (attributes, text, namespaces, children), into parseJingleIq and a JingleSession the way
 * a call's signalling wires them. Parsing gives an action or JingleParseError; the session takes
 * the action or throws a JingleError (the IQ error it is answered with); and a session that was
 * fed garbage still accepts a valid session-initiate when its state allows one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Element } from '@xmpp/xml';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { JingleError, JingleSession, parseJingleIq, type JingleAction, type LocalMedia } from '../../src/xmpp/jingle/index.js';
import { NS } from '../../src/xmpp/jingle/namespaces.js';
import { parseXml } from '../unit/xmpp/jingle/helpers.js';
import { fuzzParams, fuzzTimeout, nastyToken, regressionFixtures, repoRoot } from './fuzz-support.js';

const FOCUS = 'roomfx@conference.example.test/focus';
const SELF = 'roomfx@conference.example.test/0a1b2c3d';
const SID = 'fxsid0001';

const LOCAL: LocalMedia = {
  ufrag: 'gwU1',
  pwd: 'gwP1gwP1gwP1gwP1gwP1gw',
  candidates: [{ foundation: '1', component: 1, protocol: 'udp', priority: 2130706431, ip: '127.0.0.1', port: 20000, type: 'host', generation: 0 }],
  fingerprint: { hash: 'sha-256', value: 'AB:CD' },
  ssrc: 305419896,
  cname: 'gwcname',
  msid: 'gwstream gwtrack',
};

/** Every IQ with a Jingle payload in the fixtures and (when checked out) the shared reference stanzas. */
function seedStanzas(): string[] {
  const out: string[] = [];
  const jingleDir = path.join(repoRoot, 'test/fixtures/jingle');
  for (const f of readdirSync(jingleDir).filter((n) => n.endsWith('.xml'))) out.push(readFileSync(path.join(jingleDir, f), 'utf8'));
  const shared = path.resolve(repoRoot, '../shared/reference/stanzas');
  if (existsSync(shared)) {
    for (const f of readdirSync(shared).filter((n) => n.endsWith('.xml'))) {
      const text = readFileSync(path.join(shared, f), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
      for (const m of text.matchAll(/<iq[\s>][\s\S]*?<\/iq>/g)) if (m[0].includes('urn:xmpp:jingle:1')) out.push(m[0]);
    }
  }
  return out;
}

const SEEDS = seedStanzas();
const VALID_INITIATE = readFileSync(path.join(repoRoot, 'test/fixtures/jingle/session-initiate.xml'), 'utf8');

const ATTRS = [
  'action', 'sid', 'name', 'creator', 'senders', 'id', 'clockrate', 'channels', 'ptime', 'maxptime', 'ssrc', 'semantics',
  'type', 'uri', 'foundation', 'component', 'protocol', 'priority', 'ip', 'port', 'generation', 'rel-port', 'rel-addr',
  'network', 'tcptype', 'hash', 'setup', 'required', 'ufrag', 'pwd', 'media', 'owner', 'value', 'region', 'restart',
  'audio', 'video', 'initiator', 'responder', 'xmlns', 'subtype',
] as const;
const NAMES = [
  'jingle', 'content', 'description', 'payload-type', 'parameter', 'rtcp-fb', 'rtp-hdrext', 'source', 'ssrc-group',
  'ssrc-info', 'transport', 'candidate', 'fingerprint', 'rtcp-mux', 'group', 'reason', 'text', 'bridge-session',
  'startmuted', 'success', 'extmap-allow-mixed', 'x',
] as const;
const NAMESPACES = [...Object.values(NS), 'urn:example:unknown', ''];

type Mutation =
  | { kind: 'setAttr'; el: number; name: string; value: string }
  | { kind: 'dropAttr'; el: number; which: number }
  | { kind: 'remove'; el: number }
  | { kind: 'duplicate'; el: number }
  | { kind: 'text'; el: number; value: string }
  | { kind: 'ns'; el: number; ns: string }
  | { kind: 'rename'; el: number; name: string }
  | { kind: 'child'; el: number; name: string; ns: string; attrs: Record<string, string> };

const value = fc.oneof(nastyToken, fc.constantFrom(SID, 'audio', 'session-initiate', 'transport-info', 'udp', 'host', 'actpass', '111', '4294967295'));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('setAttr' as const), el: fc.nat(), name: fc.constantFrom(...ATTRS), value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('dropAttr' as const), el: fc.nat(), which: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), el: fc.nat() }) },
  fc.record({ kind: fc.constant('duplicate' as const), el: fc.nat() }),
  fc.record({ kind: fc.constant('text' as const), el: fc.nat(), value }),
  fc.record({ kind: fc.constant('ns' as const), el: fc.nat(), ns: fc.constantFrom(...NAMESPACES) }),
  fc.record({ kind: fc.constant('rename' as const), el: fc.nat(), name: fc.constantFrom(...NAMES) }),
  fc.record({
    kind: fc.constant('child' as const),
    el: fc.nat(),
    name: fc.constantFrom(...NAMES),
    ns: fc.constantFrom(...NAMESPACES),
    attrs: fc.dictionary(fc.constantFrom(...ATTRS), value, { maxKeys: 4 }),
  }),
);

function elementsOf(root: Element): Element[] {
  const out: Element[] = [root];
  for (let i = 0; i < out.length; i++) out.push(...out[i]!.getChildElements());
  return out;
}

function applyMutation(root: Element, m: Mutation): void {
  const all = elementsOf(root);
  const el = all[m.el % all.length]!;
  const parent = el.parent as Element | null;
  switch (m.kind) {
    case 'setAttr':
      el.attrs[m.name] = m.value;
      return;
    case 'dropAttr': {
      const keys = Object.keys(el.attrs);
      if (keys.length > 0) delete el.attrs[keys[m.which % keys.length]!];
      return;
    }
    case 'remove':
      if (parent) parent.children = parent.children.filter((c) => c !== el);
      return;
    case 'duplicate':
      // A deep copy, through the serialisation (ltx elements here have no clone()).
      if (parent) parent.children.push(parseXml(el.toString()));
      return;
    case 'text':
      el.children = [...el.getChildElements(), m.value];
      return;
    case 'ns':
      el.attrs['xmlns'] = m.ns;
      return;
    case 'rename':
      el.name = m.name;
      return;
    case 'child':
      el.c(m.name, { ...(m.ns === '' ? {} : { xmlns: m.ns }), ...m.attrs });
      return;
  }
}

/** A seed stanza with some mutations; the sid is usually the session's, so state checks are reached. */
const hostileStanza: fc.Arbitrary<Element> = fc
  .tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 0, maxLength: 6 }), fc.boolean())
  .map(([text, mutations, keepSid]) => {
    const iq = parseXml(text);
    const jingle = iq.getChild('jingle', NS.jingle);
    if (jingle && keepSid) jingle.attrs['sid'] = SID;
    for (const m of mutations) applyMutation(iq, m);
    return iq;
  });

/** parseJingleIq's contract: an action with its numbers in range, or JingleParseError. */
function parseOrRefuse(iq: Element): JingleAction | undefined {
  let action: JingleAction;
  try {
    action = parseJingleIq(iq);
  } catch (err) {
    if (err instanceof JingleError && err.xmppCondition === 'bad-request') return undefined;
    throw err;
  }
  expect(typeof action.sid === 'string' && action.sid !== '').toBe(true);
  for (const c of action.contents) {
    for (const pt of c.payloadTypes) expect(pt.id >= 0 && pt.id <= 127).toBe(true);
    for (const s of c.sources) expect(Number.isInteger(s.ssrc) && s.ssrc >= 0 && s.ssrc <= 0xffffffff).toBe(true);
    for (const cand of c.transport?.candidates ?? []) expect(cand.port >= 0 && cand.port <= 65535).toBe(true);
  }
  return action;
}

function newSession(): { session: JingleSession; sent: Element[]; initiates: string[] } {
  const sent: Element[] = [];
  const initiates: string[] = [];
  const session = new JingleSession({
    localJid: SELF,
    focusJid: FOCUS,
    logger: silentLogger(),
    send: async (iq) => {
      // What goes on the wire must serialise.
      iq.toString();
      sent.push(iq);
    },
  });
  session.on('initiate', (e) => initiates.push(e.sid));
  return { session, sent, initiates };
}

/** One stanza as call-signaling.ts handles it: parse, then the session; only JingleErrors may escape. */
function feed(session: JingleSession, iq: Element): void {
  const action = parseOrRefuse(iq);
  if (action === undefined) return;
  try {
    session.handle(action);
  } catch (err) {
    if (!(err instanceof JingleError)) throw err;
    expect(err.iqErrorElement().toString()).toContain('<error');
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * "Keeps serving": whatever the garbage did, a valid offer is taken whenever the state says a new
 * one is welcome, and a live session can still be ended by the focus and restarted.
 */
async function expectStillServes(h: ReturnType<typeof newSession>): Promise<void> {
  const { session, initiates } = h;
  await tick();
  const before = initiates.length;
  if (session.state === 'pending' && session.negotiated !== undefined) {
    // The fuzzed offer was taken: answering it must work.
    await session.accept(LOCAL);
    expect(session.state).toBe('active');
  }
  if (session.state === 'pending' || session.state === 'active') {
    const sid = session.sid!;
    session.handle(parseJingleIq(parseXml(`<iq><jingle xmlns='${NS.jingle}' action='session-terminate' sid='${sid}'/></iq>`)));
    expect(session.state).toBe('resumable');
  }
  if (session.state === 'terminated') {
    // Only our own refusal of an offer ends a session for good; a new offer is then refused, typed.
    expect(() => session.handle(parseJingleIq(freshInitiate('fuzz-after-end')))).toThrow(JingleError);
    return;
  }
  const iq = freshInitiate(`fuzz-next-${before}`);
  session.handle(parseJingleIq(iq));
  expect(session.state).toBe('pending');
  expect(initiates.length).toBe(before + 1);
  await session.accept(LOCAL);
  expect(session.state).toBe('active');
}

function freshInitiate(sid: string): Element {
  const iq = parseXml(VALID_INITIATE);
  iq.getChild('jingle', NS.jingle)!.attrs['sid'] = sid;
  return iq;
}

describe('fuzz: Jingle stanzas into the parser and the session', () => {
  it(`has seed stanzas (${SEEDS.length})`, () => {
    expect(SEEDS.length).toBeGreaterThanOrEqual(10);
  });

  it('parseJingleIq gives an action in range or JingleParseError', () => {
    fc.assert(
      fc.property(hostileStanza, (iq) => {
        parseOrRefuse(iq);
      }),
      fuzzParams(0x11e001, 600),
    );
  });

  it(
    'a session fed hostile stanzas answers each with a result or a JingleError, and still takes a valid offer',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(hostileStanza, { minLength: 1, maxLength: 8 }), async (stanzas) => {
          const h = newSession();
          for (const iq of stanzas) {
            feed(h.session, iq);
            await tick();
          }
          await expectStillServes(h);
        }),
        fuzzParams(0x11e002, 200),
      );
    },
    fuzzTimeout(20_000),
  );

  for (const f of regressionFixtures('jingle')) {
    it(`regression: ${f.name}`, async () => {
      const h = newSession();
      feed(h.session, parseXml(f.text));
      await expectStillServes(h);
    });
  }
});
