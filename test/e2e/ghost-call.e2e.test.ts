import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { xml, type Element } from '../../src/xmpp/connection.js';
import { callerDialog, calleeDialog } from '../support/drachtio-double/index.js';
import { FakeConference, type FakeBridgeEndpoint } from '../support/fake-bridge-audio.js';
import { buildSessionInitiate } from '../support/fake-focus.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import * as sip from '../support/sip-messages.js';
import { until } from '../support/until.js';
import { GatewayHarness, type PhoneCall } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const NS_RAYO = 'urn:xmpp:rayo:1';
/** The gateway's guarantee: a call is gone within 2 s of the caller's BYE; the rest is slack for a busy machine. */
const CLOSED_WITHIN_MS = 2000 + 3000;

/**
 * A caller who hangs up right at the answer: the ACK and the BYE reach srf in the same read as the
 * message that creates the dialog. The call must end at once (not by the reaper's sweep), leaving
 * no call in the registry and no occupant in the meeting.
 */
describe.skipIf(!available)('calls whose far end hangs up at the answer', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await GatewayHarness.startDialOut();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Occupants of `room` other than the focus, from the presences the focus has seen. */
  function occupants(room: string): string[] {
    const last = new Map<string, string | undefined>();
    for (const s of h.focus.received) {
      const from = String(s.attrs['from'] ?? '');
      if (s.is('presence') && from.startsWith(`${room}/`) && from !== `${room}/focus`) last.set(from, s.attrs['type']);
    }
    return [...last].filter(([, type]) => type !== 'unavailable').map(([jid]) => jid);
  }

  async function reaped(): Promise<number> {
    return (await h.gateway.metrics.callsReapedTotal.get()).values[0]?.value ?? 0;
  }

  async function ringingCall(room: string, conf: FakeConference, name: string): Promise<{ call: PhoneCall; endpoint: FakeBridgeEndpoint }> {
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    const endpoint = await conf.addEndpoint();
    cleanups.push(() => ph.close(), () => endpoint.close());
    return { call: await h.dial(ph, room, name), endpoint };
  }

  it('ends an inbound call whose ACK and BYE arrive with the 200 confirmation', async () => {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: 700 }] });
    cleanups.push(() => conf.close());
    const { call, endpoint } = await ringingCall(room, conf, 'Quick Hangup');
    call.req.inSameReadAs(200, (ok) => [sip.ack(call.invite, ok), callerDialog(call.invite, ok).bye()]);
    const occupant = await h.offerConference(call, conf, endpoint);
    await call.req.waitForResponse(200, 10_000);

    await until(() => h.gateway.registry.size === 0, CLOSED_WITHIN_MS, 'the call to close');
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable', CLOSED_WITHIN_MS);
    expect(occupants(room)).toEqual([]);
    expect(h.gateway.sip.legCount).toBe(0);
    expect(await reaped()).toBe(0);
  });

  it('ends a dial-out whose callee sends BYE in the same read as its 200', async () => {
    const room = await h.newRoom();
    const callee = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => callee.close());
    const reply = await h.focus.request(
      xml(
        'iq',
        { type: 'set', to: h.gateway.brewery.occupantJid },
        xml('dial', { xmlns: NS_RAYO, to: '5550004444', from: 'meeting' }, xml('header', { xmlns: NS_RAYO, name: 'JvbRoomName', value: room })),
      ),
    );
    const occupant = refOf(reply);
    const inv = await h.drachtio.waitForRequest('INVITE');
    h.drachtio.respond(inv, 180);
    h.drachtio.respond(inv, 200, { body: callee.offer() }, (ok) => [calleeDialog(inv.message, ok).bye()]);

    await until(() => h.gateway.registry.size === 0, CLOSED_WITHIN_MS, 'the dial-out to close');
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable', CLOSED_WITHIN_MS);
    expect(h.gateway.sip.legCount).toBe(0);
    expect(await reaped()).toBe(0);
  });

  it('leaves no call and no occupant after 200 callers hang up 0-50 ms after the answer', async () => {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: 700 }] });
    cleanups.push(() => conf.close());
    const one = async (i: number): Promise<void> => {
      const { call, endpoint } = await ringingCall(room, conf, `Caller ${i}`);
      const delayMs = i % 51;
      // A zero delay is the race itself: ACK and BYE in the 200's read.
      if (delayMs === 0) call.req.inSameReadAs(200, (ok) => [sip.ack(call.invite, ok), callerDialog(call.invite, ok).bye()]);
      await h.offerConference(call, conf, endpoint);
      if (delayMs === 0) {
        await call.req.waitForResponse(200, 10_000);
        return;
      }
      await call.answered();
      await new Promise((r) => setTimeout(r, delayMs));
      await call.bye();
    };
    // Ten callers at a time: the race needs real concurrency, not a queue.
    for (let i = 0; i < 200; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, k) => one(i + k)));
      for (const c of cleanups.splice(1).reverse()) await c().catch(() => undefined);
    }
    await until(() => h.gateway.registry.size === 0, CLOSED_WITHIN_MS, 'every call to close');
    await until(() => occupants(room).length === 0, CLOSED_WITHIN_MS, 'every occupant to leave');
    expect(h.gateway.registry.stats()).toMatchObject({ calls: 0, conferences: 0 });
    expect(h.gateway.sip.legCount).toBe(0);
    expect(await reaped()).toBe(0);
  }, 120_000);
});

function refOf(reply: Element): string {
  return String(reply.getChild('ref', NS_RAYO)?.attrs['uri']).replace(/^xmpp:/, '');
}
