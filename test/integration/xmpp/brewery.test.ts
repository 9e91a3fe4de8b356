import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { Backoff } from '../../../src/util/backoff.js';
import { XmppStanzaError, xml, type Element } from '../../../src/xmpp/connection.js';
import { BreweryClient, readStatsElement, type BreweryStats } from '../../../src/xmpp/brewery/index.js';
import { prosodyAvailable, startProsody, type ProsodyHarness } from '../../support/prosody.js';
import { closeTestClients, connectTestClient, joinMuc, type Client } from '../../support/xmpp-client.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const NS_COLIBRI = 'http://jitsi.org/protocol/colibri';
const NS_RAYO = 'urn:xmpp:rayo:1';

/** Everything one brewery occupant (playing Jicofo) sees from the room, in order. */
class BreweryObserver {
  readonly presences: Element[] = [];
  #waiters = new Set<() => void>();

  constructor(readonly client: Client, readonly room: string) {
    client.on('stanza', (s: Element) => {
      if (!s.is('presence') || typeof s.attrs['from'] !== 'string' || !s.attrs['from'].startsWith(`${room}/`)) return;
      this.presences.push(s);
      for (const w of this.#waiters) w();
    });
  }

  static async join(harness: ProsodyHarness, room: string): Promise<BreweryObserver> {
    const client = await connectTestClient(harness, { username: 'focus', password: 'focuspw', resource: 'focus' });
    const observer = new BreweryObserver(client, room);
    await joinMuc(client, room, 'focus');
    return observer;
  }

  /** The first presence at or after `from` (an index into presences) that matches. */
  waitFor(match: (p: Element) => boolean, from = 0, timeoutMs = 5000): Promise<Element> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.presences.slice(from).find(match);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`observer saw no matching presence within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Next available presence from `occupant` carrying stats, as name → value. */
  async statsFrom(occupant: string, from = 0, timeoutMs = 5000): Promise<Record<string, string>> {
    const p = await this.waitFor(
      (s) => s.attrs['from'] === occupant && s.attrs['type'] === undefined && s.getChild('stats', NS_COLIBRI) !== undefined,
      from,
      timeoutMs,
    );
    const stats = p.getChild('stats', NS_COLIBRI);
    if (!stats) throw new Error('presence without stats');
    return readStatsElement(stats);
  }

  realJidOf(occupant: string): string {
    const p = [...this.presences].reverse().find((s) => s.attrs['from'] === occupant && s.attrs['type'] === undefined);
    const jid: unknown = p?.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item')?.attrs['jid'];
    if (typeof jid !== 'string') throw new Error(`no real JID seen for ${occupant}`);
    return jid;
  }
}

describe.skipIf(!available)('brewery control session against Prosody', () => {
  let prosody: ProsodyHarness;
  let room: string;
  let roomCounter = 0;
  const started: BreweryClient[] = [];
  const observers: BreweryObserver[] = [];

  beforeAll(async () => {
    prosody = await startProsody({
      users: [
        { user: 'jigasi', host: 'auth.meet.test', password: 'jigasipw' },
        { user: 'focus', host: 'auth.meet.test', password: 'focuspw' },
      ],
    });
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((b) => b.stop()));
    await closeTestClients(...observers.splice(0).map((o) => o.client));
  });

  afterAll(async () => {
    await prosody?.dispose();
  });

  function freshRoom(): string {
    // One brewery room per test, so no test sees another's occupants.
    room = `jigasibrewery${++roomCounter}@${prosody.internalMucDomain}`;
    return room;
  }

  function brewery(stats: () => BreweryStats, nick?: string): BreweryClient {
    const b = new BreweryClient({
      service: prosody.service,
      domain: prosody.authDomain,
      username: 'jigasi',
      password: 'jigasipw',
      allowPlain: true,
      breweryRoomJid: room,
      ...(nick !== undefined ? { nick } : {}),
      logger: silentLogger(),
      stats,
      backoff: new Backoff(50, 300),
    });
    started.push(b);
    return b;
  }

  async function observe(): Promise<BreweryObserver> {
    const o = await BreweryObserver.join(prosody, room);
    observers.push(o);
    return o;
  }

  const idle: BreweryStats = { conferences: 0, participants: 0, gracefulShutdown: false, stressLevel: 0, version: '1.2.3' };

  it('publishes exactly the contract stats in its brewery presence', async () => {
    freshRoom();
    const observer = await observe();
    const b = brewery(() => idle);
    await b.start();
    expect(b.state).toBe('joined');
    expect(await observer.statsFrom(b.occupantJid)).toEqual({
      conferences: '0',
      participants: '0',
      graceful_shutdown: 'false',
      stress_level: '0',
      version: '1.2.3',
      supports_transcription: 'false',
      supports_sip: 'true',
    });
    // The real JID is the control account, so Jicofo can address dial-out IQs to it.
    expect(observer.realJidOf(b.occupantJid)).toMatch(/^jigasi@auth\.meet\.test\//);
  });

  it('publishes fresh stats (and the region when set) on publish()', async () => {
    freshRoom();
    const observer = await observe();
    let stats: BreweryStats = { ...idle, region: 'eu-west' };
    const b = brewery(() => stats);
    await b.start();
    expect((await observer.statsFrom(b.occupantJid)).region).toBe('eu-west');

    stats = { ...stats, conferences: 3, participants: 7, stressLevel: 0.03 };
    const mark = observer.presences.length;
    await b.publish();
    expect(await observer.statsFrom(b.occupantJid, mark)).toMatchObject({
      conferences: '3',
      participants: '7',
      stress_level: '0.03',
      region: 'eu-west',
    });
  });

  it('shows graceful_shutdown=true once draining is published', async () => {
    freshRoom();
    const observer = await observe();
    let draining = false;
    const b = brewery(() => ({ ...idle, gracefulShutdown: draining }));
    await b.start();
    expect((await observer.statsFrom(b.occupantJid)).graceful_shutdown).toBe('false');
    draining = true;
    const mark = observer.presences.length;
    await b.publish();
    expect((await observer.statsFrom(b.occupantJid, mark)).graceful_shutdown).toBe('true');
  });

  it('takes another nick when its nick is already taken', async () => {
    freshRoom();
    const observer = await observe();
    const squatter = await connectTestClient(prosody);
    try {
      await joinMuc(squatter, room, 'gateway');
      const b = brewery(() => idle, 'gateway');
      await b.start();
      expect(b.nick).not.toBe('gateway');
      expect(b.state).toBe('joined');
      expect((await observer.statsFrom(b.occupantJid)).supports_sip).toBe('true');
    } finally {
      await closeTestClients(squatter);
    }
  });

  it('answers registered IQs: a result payload, or the error a handler throws', async () => {
    freshRoom();
    const observer = await observe();
    const b = brewery(() => idle);
    b.onIq('dial', NS_RAYO, async (iq) => {
      const to = iq.getChild('dial', NS_RAYO)?.attrs['to'];
      if (to === 'forbidden') throw new XmppStanzaError('forbidden', 'auth', 'not from focus');
      return xml('ref', { xmlns: NS_RAYO, uri: `xmpp:room@muc/${String(to)}` });
    });
    await b.start();
    await observer.statsFrom(b.occupantJid);
    const gatewayJid = observer.realJidOf(b.occupantJid);

    const ok = await observer.client.iqCaller.request(
      xml('iq', { type: 'set', to: gatewayJid }, xml('dial', { xmlns: NS_RAYO, to: '123', from: 'x' })),
      3000,
    );
    expect(ok.attrs['type']).toBe('result');
    expect(ok.getChild('ref', NS_RAYO)?.attrs['uri']).toBe('xmpp:room@muc/123');

    await expect(
      observer.client.iqCaller.request(
        xml('iq', { type: 'set', to: gatewayJid }, xml('dial', { xmlns: NS_RAYO, to: 'forbidden', from: 'x' })),
        3000,
      ),
    ).rejects.toMatchObject({ condition: 'forbidden', text: 'not from focus' });
  });

  it('rejoins the brewery by itself after Prosody restarts, with IQ handlers still in place', async () => {
    freshRoom();
    let observer = await observe();
    const b = brewery(() => ({ ...idle, conferences: 2 }));
    b.onIq('dial', NS_RAYO, async () => xml('ref', { xmlns: NS_RAYO, uri: 'xmpp:r@m/n' }));
    await b.start();
    await observer.statsFrom(b.occupantJid);

    const left = b.waitFor('left', 5000);
    const rejoined = new Promise<void>((resolve) => b.on('joined', () => resolve()));
    await prosody.restart();
    await left;
    await closeTestClients(...observers.splice(0).map((o) => o.client));
    await rejoined;
    expect(b.state).toBe('joined');

    observer = await observe();
    expect((await observer.statsFrom(b.occupantJid)).conferences).toBe('2');
    const reply = await observer.client.iqCaller.request(
      xml('iq', { type: 'set', to: observer.realJidOf(b.occupantJid) }, xml('dial', { xmlns: NS_RAYO, to: '1' })),
      3000,
    );
    expect(reply.getChild('ref', NS_RAYO)?.attrs['uri']).toBe('xmpp:r@m/n');
  });

  it('keeps retrying while Prosody is down and joins once it is back', async () => {
    freshRoom();
    const b = brewery(() => idle);
    await b.start();
    const errors: Error[] = [];
    b.on('error', (e) => errors.push(e));
    await prosody.stop();
    // Several connection attempts fail while the server is away.
    await new Promise((r) => setTimeout(r, 400));
    expect(b.state).not.toBe('joined');
    expect(errors.length).toBeGreaterThan(0);
    const rejoined = b.waitFor('joined', 5000);
    await prosody.start();
    await rejoined;
    const observer = await observe();
    expect((await observer.statsFrom(b.occupantJid)).graceful_shutdown).toBe('false');
  });

  it('leaves the brewery on stop()', async () => {
    freshRoom();
    const observer = await observe();
    const b = brewery(() => idle);
    await b.start();
    const occupant = b.occupantJid;
    await observer.statsFrom(occupant);
    const left = b.waitFor('left', 3000);
    await b.stop();
    expect(await left).toEqual(['stopped']);
    expect(b.state).toBe('offline');
    const gone = await observer.waitFor((p) => p.attrs['from'] === occupant && p.attrs['type'] === 'unavailable');
    expect(gone.attrs['type']).toBe('unavailable');
  });
});
