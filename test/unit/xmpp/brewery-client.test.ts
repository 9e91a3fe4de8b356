import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { Backoff } from '../../../src/util/backoff.js';
import { xml, type Client, type Element, type XmppClientOptions } from '../../../src/xmpp/connection.js';
import { BreweryClient } from '../../../src/xmpp/brewery/brewery-client.js';
import type { BreweryStats } from '../../../src/xmpp/brewery/stats-element.js';

const ROOM = 'jigasibrewery@internal-muc.meet.test';
type IqRoute = { ns: string; name: string; handler: (ctx: { stanza: Element }) => Promise<unknown> };

/** Just enough of an @xmpp/client for the control session, driven by the test. */
class FakeXmpp extends EventEmitter {
  status = 'offline';
  jid = undefined;
  readonly sent: Element[] = [];
  readonly iqRoutes: IqRoute[] = [];
  /** how the server answers IQs we send (pings); default: never */
  answerIq: (iq: Element, timeoutMs: number) => Promise<Element> = (_iq, timeoutMs) =>
    new Promise((_, reject) =>
      setTimeout(() => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeoutMs),
    );
  /** how the room answers our join: default accepts */
  answerJoin: (presence: Element) => Element | undefined = (p) =>
    xml('presence', { from: p.attrs['to'] as string }, xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('status', { code: '110' })));
  readonly reconnect = { stop: (): void => {} };
  readonly iqCallee = {
    set: (ns: string, name: string, handler: IqRoute['handler']): void => void this.iqRoutes.push({ ns, name, handler }),
  };
  readonly iqCaller = { request: (iq: Element, timeoutMs: number): Promise<Element> => this.answerIq(iq, timeoutMs) };

  async start(): Promise<void> {
    this.status = 'online';
  }

  async stop(): Promise<void> {
    this.status = 'offline';
  }

  async send(el: Element): Promise<void> {
    this.sent.push(el);
    if (el.is('presence') && el.getChild('x', 'http://jabber.org/protocol/muc')) {
      const answer = this.answerJoin(el);
      if (answer) setImmediate(() => this.emit('stanza', answer));
    }
  }

  drop(): void {
    this.status = 'disconnect';
    this.emit('disconnect', { clean: false });
  }

  joins(): Element[] {
    return this.sent.filter((e) => e.is('presence') && e.getChild('x', 'http://jabber.org/protocol/muc'));
  }

  statOf(el: Element, name: string): string | undefined {
    const stat = el.getChild('stats')?.getChildren('stat').find((s) => s.attrs['name'] === name);
    return stat?.attrs['value'] as string | undefined;
  }
}

describe('BreweryClient (with a fake connection)', () => {
  const clients: BreweryClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
  });

  function setup(opts: { stats?: () => BreweryStats; pingIntervalMs?: number; nick?: string } = {}) {
    const fakes: FakeXmpp[] = [];
    const created: XmppClientOptions[] = [];
    const stats = opts.stats ?? ((): BreweryStats => ({ conferences: 0, participants: 0, gracefulShutdown: false, stressLevel: 0, version: 't' }));
    const b = new BreweryClient({
      service: 'xmpp://127.0.0.1:1',
      domain: 'auth.meet.test',
      username: 'jigasi',
      password: 'pw',
      allowPlain: true,
      breweryRoomJid: ROOM,
      ...(opts.nick !== undefined ? { nick: opts.nick } : {}),
      logger: silentLogger(),
      stats,
      backoff: new Backoff(1, 5),
      pingIntervalMs: opts.pingIntervalMs ?? 0,
      joinTimeoutMs: 500,
      createClient: (o) => {
        created.push(o);
        const f = new FakeXmpp();
        fakes.push(f);
        return f as unknown as Client;
      },
    });
    clients.push(b);
    return { b, fakes, created };
  }

  it('logs in with the control account and PLAIN allowed', async () => {
    const { b, created } = setup();
    await b.start();
    expect(created[0]).toMatchObject({ domain: 'auth.meet.test', username: 'jigasi', allowPlain: true });
  });

  it('re-publishes stats changed while the join was in flight', async () => {
    let conferences = 0;
    const { b, fakes } = setup({ stats: () => ({ conferences, participants: 0, gracefulShutdown: false, stressLevel: 0, version: 't' }) });
    const started = b.start();
    // The join presence is out (with conferences=0); a call starts before the room answers.
    await new Promise((r) => setImmediate(r));
    conferences = 1;
    await b.publish();
    await started;
    await new Promise((r) => setImmediate(r));
    const f = fakes[0]!;
    const last = f.sent.at(-1)!;
    expect(f.statOf(f.joins()[0]!, 'conferences')).toBe('0');
    expect(last.getChild('x', 'http://jabber.org/protocol/muc')).toBeUndefined();
    expect(f.statOf(last, 'conferences')).toBe('1');
  });

  it('reconnects on a new connection and rejoins with fresh stats after a drop', async () => {
    let conferences = 0;
    const { b, fakes } = setup({ stats: () => ({ conferences, participants: 0, gracefulShutdown: false, stressLevel: 0, version: 't' }), nick: 'gw1' });
    await b.start();
    const left = b.waitFor('left', 1000);
    const rejoined = new Promise<string>((resolve) => b.once('joined', (jid) => resolve(jid)));
    conferences = 4;
    fakes[0]!.drop();
    expect(await left).toEqual(['disconnected']);
    expect(await rejoined).toBe(`${ROOM}/gw1`);
    expect(fakes).toHaveLength(2);
    expect(fakes[1]!.statOf(fakes[1]!.joins()[0]!, 'conferences')).toBe('4');
    expect(b.state).toBe('joined');
  });

  it('treats an unanswered ping as a dead connection', async () => {
    const { b, fakes } = setup({ pingIntervalMs: 20 });
    await b.start();
    const rejoined = b.waitFor('joined', 2000);
    await rejoined;
    expect(fakes.length).toBeGreaterThanOrEqual(2);
    expect(fakes[0]!.status).toBe('offline');
  });

  it('keeps the connection when pings are answered', async () => {
    const { b, fakes } = setup({ pingIntervalMs: 10 });
    await b.start();
    const pinged = new Promise<void>((resolve) => {
      fakes[0]!.answerIq = async (iq) => {
        resolve();
        return xml('iq', { type: 'result', id: iq.attrs['id'] as string });
      };
    });
    await pinged;
    await new Promise((r) => setTimeout(r, 50));
    expect(fakes).toHaveLength(1);
    expect(b.state).toBe('joined');
  });

  it('rejoins on the same connection when removed from the room', async () => {
    const { b, fakes } = setup({ nick: 'gw2' });
    await b.start();
    const left = b.waitFor('left', 1000);
    const rejoined = b.waitFor('joined', 1000);
    fakes[0]!.emit(
      'stanza',
      xml('presence', { from: `${ROOM}/gw2`, type: 'unavailable' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('status', { code: '307' }), xml('status', { code: '110' }))),
    );
    expect((await left)[0]).toMatch(/307/);
    await rejoined;
    expect(fakes).toHaveLength(1);
    expect(fakes[0]!.joins()).toHaveLength(2);
  });

  it('drops a connection the room refuses, reports why, and gets in on the next one', async () => {
    const { b, fakes } = setup();
    const errors: Error[] = [];
    b.on('error', (e) => errors.push(e));
    const started = b.start();
    // start() creates the first connection synchronously; its room refuses us.
    fakes[0]!.answerJoin = (p) =>
      xml('presence', { from: p.attrs['to'] as string, type: 'error' }, xml('error', { type: 'auth' }, xml('forbidden', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })));
    await started;
    expect(errors.map((e) => (e as { condition?: string }).condition)).toEqual(['forbidden']);
    expect(fakes).toHaveLength(2);
    expect(fakes[0]!.status).toBe('offline');
    expect(b.state).toBe('joined');
  });

  it('picks a new nick on conflict', async () => {
    const { b, fakes } = setup({ nick: 'taken' });
    const started = b.start();
    fakes[0]!.answerJoin = (p) =>
      String(p.attrs['to']).endsWith('/taken')
        ? xml('presence', { from: p.attrs['to'] as string, type: 'error' }, xml('error', { type: 'cancel' }, xml('conflict', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })))
        : xml('presence', { from: p.attrs['to'] as string }, xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('status', { code: '110' })));
    await started;
    expect(b.nick).toMatch(/^[0-9a-f]{8}$/);
    expect(fakes).toHaveLength(1);
    expect(fakes[0]!.joins().map((j) => j.attrs['to'])).toEqual([`${ROOM}/taken`, `${ROOM}/${b.nick}`]);
  });

  it('registers IQ handlers on every connection, including ones added after start', async () => {
    const { b, fakes } = setup();
    b.onIq('dial', 'urn:xmpp:rayo:1', async () => xml('ref', { xmlns: 'urn:xmpp:rayo:1', uri: 'xmpp:a@b/c' }));
    await b.start();
    b.onIq('hangup', 'urn:xmpp:rayo:1', async () => xml('ok'));
    expect(fakes[0]!.iqRoutes.map((r) => r.name)).toEqual(['dial', 'hangup']);
    const rejoined = b.waitFor('joined', 1000);
    fakes[0]!.drop();
    await rejoined;
    expect(fakes[1]!.iqRoutes.map((r) => r.name)).toEqual(['dial', 'hangup']);
  });

  it('resolves start() and stays offline when stopped before joining', async () => {
    const { b, fakes } = setup();
    const started = b.start();
    fakes[0]!.answerJoin = () => undefined;
    await b.stop();
    await started;
    expect(b.state).toBe('offline');
  });
});
