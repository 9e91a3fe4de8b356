/**
 * Two gateway instances in one brewery, watched by an occupant of the brewery as Jicofo sees
 * them: each publishes its own stats, its stress level follows its own calls, and `participants`
 * counts the people in the rooms of its calls (its callers included, the focus not) once each,
 * re-published as people come and go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '../../src/xmpp/connection.js';
import { readStatsElement } from '../../src/xmpp/brewery/stats-element.js';
import { prosodyAvailable } from '../support/prosody.js';
import * as sip from '../support/sip-messages.js';
import { until } from '../support/until.js';
import { closeTestClients, connectTestClient, joinMuc, type Client } from '../support/xmpp-client.js';
import { GatewayInstance, SharedJitsi } from './scale-out-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: brewery instance tests (prosody not available)');

/** Time for a change to show in the brewery: a presence round trip through Prosody, on a busy machine. */
const PUBLISHED_WITHIN_MS = 5000;

describe.skipIf(!available)('two gateway instances in one brewery', () => {
  let jitsi: SharedJitsi;
  let a: GatewayInstance;
  let b: GatewayInstance;
  let observer: Client;
  let web: Client | undefined;
  /** occupant JID → its latest brewery stats. */
  const stats = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    jitsi = await SharedJitsi.start();
    await jitsi.prosody.createUser('observer', jitsi.prosody.authDomain, 'observer-pw');
    const brewery = `jigasibrewery@${jitsi.prosody.internalMucDomain}`;
    observer = await connectTestClient(jitsi.prosody, { username: 'observer', password: 'observer-pw', resource: 'observer' });
    observer.on('stanza', (s: Element) => {
      const from = String(s.attrs['from']);
      if (!s.is('presence') || !from.startsWith(`${brewery}/`)) return;
      const el = s.getChild('stats', 'http://jitsi.org/protocol/colibri');
      if (s.attrs['type'] === 'unavailable') stats.delete(from);
      else if (el !== undefined) stats.set(from, readStatsElement(el));
    });
    await joinMuc(observer, brewery, 'observer');
    a = await GatewayInstance.start(jitsi, 'a', { env: { MAX_CALLS: '10' } });
    b = await GatewayInstance.start(jitsi, 'b', { env: { MAX_CALLS: '20' } });
  }, 30_000);
  afterAll(async () => {
    await closeTestClients(observer, web);
    await a?.close();
    await b?.close();
    await jitsi?.close();
  });

  const of = (g: GatewayInstance): Record<string, string> | undefined => stats.get(g.gateway.brewery.occupantJid);

  async function published(g: GatewayInstance, want: Record<string, string>): Promise<void> {
    const matches = (): boolean => Object.entries(want).every(([k, v]) => of(g)?.[k] === v);
    await until(matches, PUBLISHED_WITHIN_MS, `${g.name} to publish ${JSON.stringify(want)}`).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; last published: ${JSON.stringify(of(g))}`);
    });
  }

  /** A phone's INVITE to instance `g` for `room`; it rings once the call has joined the room. */
  async function ring(g: GatewayInstance, room: string, n: number): Promise<string> {
    const invite = sip.invite({
      from: `"Brewery Phone ${n}" <sip:+1555000${n}@127.0.0.1>`,
      to: '<sip:4000@127.0.0.1>',
      headers: { 'X-Room-Name': room },
      sdp: sip.sdp({ port: 40_000 + n * 2 }),
    });
    await g.double.injectRequest(invite, { source: { address: '127.0.0.1', port: 5070 } }).waitForResponse(180);
    await jitsi.focus.waitFor(
      (s) => s.is('presence') && String(s.attrs['from']).startsWith(`${room}/`) && s.getChildText('nick', 'http://jabber.org/protocol/nick') === `Brewery Phone ${n}`,
      PUBLISHED_WITHIN_MS,
    );
    return invite;
  }

  it('publishes distinct stats per instance, each following its own calls and counting participants once', async () => {
    await until(() => of(a) !== undefined && of(b) !== undefined, PUBLISHED_WITHIN_MS, 'both instances in the brewery');
    expect(a.gateway.brewery.occupantJid).not.toBe(b.gateway.brewery.occupantJid);
    await published(a, { participants: '0', stress_level: '0', conferences: '0' });
    await published(b, { participants: '0', stress_level: '0', conferences: '0' });

    // Three callers of one room on a, one caller of another room on b.
    const shared = await jitsi.newRoom();
    const other = await jitsi.newRoom();
    const onA = [await ring(a, shared, 1), await ring(a, shared, 2), await ring(a, shared, 3)];
    const onB = await ring(b, other, 4);
    await published(a, { conferences: '1', participants: '3', stress_level: '0.3' });
    await published(b, { conferences: '1', participants: '1', stress_level: '0.05' });

    // Someone joins the meeting from a browser: a's figure follows without any call starting or ending.
    web = await connectTestClient(jitsi.prosody);
    await joinMuc(web, shared, 'browser1');
    await published(a, { participants: '4', stress_level: '0.3' });
    await published(b, { participants: '1' });

    // One of a's callers gives up while ringing.
    const first = onA[0] ?? '';
    expect((await a.double.injectRequest(sip.cancel(first)).waitForResponse()).status).toBe(200);
    await published(a, { conferences: '1', participants: '3', stress_level: '0.2' });
    expect(of(b)).toMatchObject({ participants: '1', stress_level: '0.05' });

    await closeTestClients(web);
    web = undefined;
    await published(a, { participants: '2', stress_level: '0.2' });

    for (const inv of [...onA.slice(1), onB]) {
      const g = inv === onB ? b : a;
      await g.double.injectRequest(sip.cancel(inv)).waitForResponse();
    }
    await published(a, { conferences: '0', participants: '0', stress_level: '0' });
    await published(b, { conferences: '0', participants: '0', stress_level: '0' });
  }, 60_000);
});
