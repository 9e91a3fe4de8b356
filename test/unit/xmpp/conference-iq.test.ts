import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { IqTimeoutError, XmppStanzaError, xml, type Client, type Element } from '../../../src/xmpp/connection.js';
import { JingleSessionError } from '../../../src/xmpp/jingle/errors.js';
import { errorReplyFor } from '../../../src/xmpp/conference/errors.js';
import { installIqRoutes } from '../../../src/xmpp/conference/iq-router.js';
import { PendingIqs } from '../../../src/xmpp/conference/pending-iqs.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const ROOM = 'room@muc.meet.test';

function conditionOf(error: Element): string | undefined {
  return error.getChildElements().find((c) => c.attrs['xmlns'] === STANZAS && c.name !== 'text')?.name;
}

describe('errorReplyFor', () => {
  it('uses the element a Jingle error builds', () => {
    const el = errorReplyFor(JingleSessionError.unknownSession('sid?'));
    expect(conditionOf(el)).toBe('item-not-found');
    expect(el.getChild('unknown-session', 'urn:xmpp:jingle:errors:1')).toBeDefined();
  });

  it('builds the error from a condition, with the RFC 6120 type and an optional Jingle condition', () => {
    const el = errorReplyFor({ condition: 'unexpected-request', jingleCondition: 'out-of-order' });
    expect(el.attrs['type']).toBe('wait');
    expect(conditionOf(el)).toBe('unexpected-request');
    expect(el.getChild('out-of-order', 'urn:xmpp:jingle:errors:1')).toBeDefined();
    expect(errorReplyFor(new XmppStanzaError('forbidden', 'auth')).attrs['type']).toBe('auth');
    expect(errorReplyFor({ condition: 'bad-request' }).attrs['type']).toBe('modify');
  });

  it('answers internal-server-error for errors that carry no verdict', () => {
    expect(conditionOf(errorReplyFor(new Error('bug')))).toBe('internal-server-error');
    expect(conditionOf(errorReplyFor('string'))).toBe('internal-server-error');
  });
});

describe('PendingIqs', () => {
  function setup() {
    const sent: Element[] = [];
    const iqs = new PendingIqs(async (s) => {
      sent.push(s);
    });
    return { iqs, sent };
  }

  it('resolves with the result and rejects with the error condition', async () => {
    const { iqs, sent } = setup();
    const ok = iqs.request(xml('iq', { type: 'get', to: 'a@b/c' }), 1000);
    const bad = iqs.request(xml('iq', { type: 'set', to: 'a@b/c' }), 1000);
    const [first, second] = sent.map((s) => String(s.attrs['id']));
    expect(first).not.toBe(second);
    expect(iqs.handleStanza(xml('iq', { type: 'result', id: first }))).toBe(true);
    expect(
      iqs.handleStanza(
        xml('iq', { type: 'error', id: second }, xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: STANZAS }))),
      ),
    ).toBe(true);
    expect((await ok).attrs['type']).toBe('result');
    await expect(bad).rejects.toMatchObject({ condition: 'item-not-found' });
    expect(iqs.handleStanza(xml('iq', { type: 'result', id: first }))).toBe(false);
  });

  it('times out, and cancelAll rejects and forgets the rest', async () => {
    const { iqs } = setup();
    await expect(iqs.request(xml('iq', { type: 'get' }), 10)).rejects.toBeInstanceOf(IqTimeoutError);
    const pending = iqs.request(xml('iq', { type: 'get' }), 60_000);
    iqs.cancelAll(new Error('closed'));
    await expect(pending).rejects.toThrow('closed');
    expect(iqs.size).toBe(0);
  });
});

type Route = (ctx: { stanza: Element; element: Element | undefined }) => Element | true | Promise<Element | true>;

function routedClient() {
  const routes = new Map<string, Route>();
  const client = {
    iqCallee: {
      set: (ns: string, name: string, h: Route) => routes.set(`set ${ns} ${name}`, h),
      get: (ns: string, name: string, h: Route) => routes.set(`get ${ns} ${name}`, h),
    },
  } as unknown as Client;
  const call = async (key: string, stanza: Element): Promise<Element | true> => {
    const route = routes.get(key);
    if (!route) throw new Error(`no route ${key}`);
    return route({ stanza, element: stanza.getChildElements()[0] });
  };
  return { client, call };
}

describe('IQ routes', () => {
  function install(onJingle: (iq: Element) => Promise<void> = async () => {}) {
    const { client, call } = routedClient();
    const mutes: Array<[boolean, string | undefined]> = [];
    const hangups: string[] = [];
    installIqRoutes(client, {
      focusOccupantJid: () => `${ROOM}/focus`,
      focusJid: 'focus.meet.test',
      onJingle,
      onMute: (muted, actor) => mutes.push([muted, actor]),
      onHangup: (from) => {
        if (from === undefined || !from.startsWith(`${ROOM}/`)) return false;
        hangups.push(from);
        return true;
      },
      discoFeatures: () => ['urn:xmpp:jingle:1'],
      logger: silentLogger(),
    });
    return { call, mutes, hangups };
  }
  const jingleIq = (from: string) =>
    xml('iq', { type: 'set', from }, xml('jingle', { xmlns: 'urn:xmpp:jingle:1', action: 'session-initiate', sid: 's' }));
  const muteIq = (from: string, text: string) =>
    xml('iq', { type: 'set', from }, xml('mute', { xmlns: 'http://jitsi.org/jitmeet/audio', actor: 'm' }, text));

  it('accepts Jingle only from the focus occupant', async () => {
    const seen: Element[] = [];
    const { call } = install(async (iq) => {
      seen.push(iq);
    });
    expect(await call('set urn:xmpp:jingle:1 jingle', jingleIq(`${ROOM}/focus`))).toBe(true);
    const refused = (await call('set urn:xmpp:jingle:1 jingle', jingleIq(`${ROOM}/mallory`))) as Element;
    expect(conditionOf(refused)).toBe('forbidden');
    const otherRoom = (await call('set urn:xmpp:jingle:1 jingle', jingleIq('other@muc.meet.test/focus'))) as Element;
    expect(conditionOf(otherRoom)).toBe('forbidden');
    expect(seen).toHaveLength(1);
  });

  it('accepts mute from the focus occupant or the focus JID and validates the value', async () => {
    const { call, mutes } = install();
    const key = 'set http://jitsi.org/jitmeet/audio mute';
    expect(await call(key, muteIq(`${ROOM}/focus`, 'true'))).toBe(true);
    expect(await call(key, muteIq('focus.meet.test', 'false'))).toBe(true);
    expect(conditionOf((await call(key, muteIq(`${ROOM}/web1`, 'true'))) as Element)).toBe('forbidden');
    expect(conditionOf((await call(key, muteIq(`${ROOM}/focus`, 'maybe'))) as Element)).toBe('bad-request');
    expect(mutes).toEqual([
      [true, 'm'],
      [false, 'm'],
    ]);
  });

  it('answers disco#info with the configured features, echoing the node', async () => {
    const { call } = install();
    const query = xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'caps#ver' });
    const reply = (await call('get http://jabber.org/protocol/disco#info query', xml('iq', { type: 'get' }, query))) as Element;
    expect(reply.attrs['node']).toBe('caps#ver');
    expect(reply.getChildren('feature').map((f) => f.attrs['var'])).toEqual(['urn:xmpp:jingle:1']);
  });
  it('accepts a Rayo hangup from the meeting and refuses one from elsewhere', async () => {
    const { call, hangups } = install();
    const hangup = (from: string) => xml('iq', { type: 'set', from }, xml('hangup', { xmlns: 'urn:xmpp:rayo:1' }));
    expect(await call('set urn:xmpp:rayo:1 hangup', hangup(`${ROOM}/moderator1`))).toBe(true);
    const refused = await call('set urn:xmpp:rayo:1 hangup', hangup('mallory@elsewhere.test/x'));
    expect(refused).not.toBe(true);
    expect((refused as Element).getChild('forbidden')).toBeDefined();
    expect(hangups).toEqual([`${ROOM}/moderator1`]);
  });
});
