import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '../../src/xmpp/connection.js';
import { detectTones } from '../support/audio.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { buildSessionInitiate } from '../support/fake-focus.js';
import { prosodyAvailable } from '../support/prosody.js';
import { dialledOccupant, rayoDial, rayoHangup } from '../support/rayo.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const WEB_TONE = 700;
const CALLEE_TONE = 1500;

describe.skipIf(!available)('dialling out from a meeting through the whole gateway', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await GatewayHarness.startDialOut({ JIGASI_SIP_OUTBOUND_PREFIX: '9' });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  function dial(room: string, number: string): Promise<Element> {
    return h.focus.request(rayoDial(h.gateway.brewery.occupantJid, number, room));
  }

  it('rings the number from the meeting, carries audio both ways, and hangs up on the hangup IQ', async () => {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: WEB_TONE }] });
    const callee = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => conf.close(), () => callee.close());
    const endpoint = await conf.addEndpoint();

    const reply = await dial(room, '+15550001234');
    expect(reply.attrs['type']).toBe('result');
    const occupant = dialledOccupant(reply);
    expect(occupant.startsWith(`${room}/`)).toBe(true);

    const inv = await h.drachtio.waitForRequest('INVITE');
    expect(inv.uri).toMatch(/^sip:9\+15550001234@127\.0\.0\.1:5090/);
    expect(inv.message.get('jitsi-conference-room')).toBe(room);
    h.drachtio.respond(inv, 180);
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Ringing');

    // The meeting's media session, as Jicofo would offer it to any participant.
    const t = endpoint.bridge.transport;
    await h.focus.sendJingle(
      occupant,
      buildSessionInitiate({
        sid: 'dial-1',
        initiator: h.focus.jid,
        transport: { ufrag: t.ufrag, pwd: t.pwd, candidates: t.candidates.map((c) => ({ ...c, protocol: 'udp' as const })), fingerprint: t.fingerprint },
        sources: conf.sources(),
      }),
    );
    await endpoint.bridge.connected;

    // The callee answers with its SDP and sends its RTP where the gateway's offer said.
    const offer = inv.message.body;
    const port = Number(/^m=audio (\d+) /m.exec(offer)?.[1]);
    h.drachtio.respond(inv, 200, { body: callee.offer() });
    callee.sendTo('127.0.0.1', port);
    await h.drachtio.waitForRequest('ACK');
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Connected');

    conf.start();
    callee.startTone(CALLEE_TONE);
    const mark = callee.received.length;
    await until(() => (endpoint.gateway()?.packets ?? 0) > 60, 5000, 'callee audio at the bridge');
    await callee.waitForPackets(mark + 20 + 50, 10_000);
    expect(endpoint.gateway()?.tones([CALLEE_TONE, 440], 10)).toEqual([CALLEE_TONE]);
    expect(detectTones(callee.audio(mark + 20), 8000, [WEB_TONE, 2500])).toEqual([WEB_TONE]);

    const hung = await h.focus.request(rayoHangup(occupant));
    expect(hung.attrs['type']).toBe('result');
    const bye = await h.drachtio.waitForRequest('BYE');
    h.drachtio.respond(bye, 200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable');
  });

  it('shows Busy in the meeting when the callee is busy', async () => {
    const room = await h.newRoom();
    const reply = await dial(room, '5550002222');
    const occupant = dialledOccupant(reply);
    const inv = await h.drachtio.waitForRequest('INVITE');
    h.drachtio.respond(inv, 486);
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Busy');
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable', 8000);
    await until(() => h.gateway.registry.size === 0, 3000, 'call closed');
  });

  it('cancels the INVITE when the meeting hangs up while it rings', async () => {
    const room = await h.newRoom();
    const reply = await dial(room, '5550003333');
    const occupant = dialledOccupant(reply);
    const inv = await h.drachtio.waitForRequest('INVITE');
    h.drachtio.respond(inv, 180);
    await h.focus.request(rayoHangup(occupant));
    const cancel = await h.drachtio.waitForRequest('CANCEL');
    expect(cancel.message.callId).toBe(inv.message.callId);
    h.drachtio.respond(cancel, 200);
    h.drachtio.respond(inv, 487);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });
});
