import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callDetailRecord, type CallDetailRecord } from '../../../src/call/cdr.js';
import { DialOutService } from '../../../src/call/dial-out-service.js';
import type { Dialler } from '../../../src/call/outbound-call.js';
import { CallRegistry } from '../../../src/call/registry.js';
import { silentLogger } from '../../../src/log.js';
import { OutboundCallError } from '../../../src/sip/errors.js';
import type { PendingOutboundCall } from '../../../src/sip/outbound.js';
import type { DialOutRequest } from '../../../src/sip/sip-app.js';
import type { OutboundSipLeg, SipLegEvents, SipLegState } from '../../../src/sip/sip-leg.js';
import { TypedEmitter } from '../../../src/util/typed-emitter.js';
import { BreweryClient } from '../../../src/xmpp/brewery/index.js';
import { xml, type Element } from '../../../src/xmpp/connection.js';
import { FakeMediaEngine, testCallDeps } from '../../support/call-fakes.js';
import { buildSessionInitiate, FakeFocus, loopbackTransport } from '../../support/fake-focus.js';
import { startConferenceProsody } from '../../support/fake-focus/session-fixture.js';
import { prosodyAvailable, type ProsodyHarness } from '../../support/prosody.js';
import { until } from '../../support/until.js';
import { joinMuc } from '../../support/xmpp-client.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const NS_RAYO = 'urn:xmpp:rayo:1';

class FakeOutLeg extends TypedEmitter<SipLegEvents> implements OutboundSipLeg {
  readonly direction = 'out' as const;
  readonly callId = 'out-1';
  state: SipLegState = 'answered';
  remoteSdp = 'v=0\r\n';
  localSdp = 'v=0\r\n';
  dialogGone = false;
  hungUpWith: string | undefined;
  setReinviteHandler(): void {}
  setReferHandler(): void {}
  async refer(): Promise<never> {
    throw new Error('not transferable');
  }
  async hangup(reason?: string): Promise<void> {
    this.hungUpWith = reason ?? '';
    this.state = 'ended';
  }
  async sendJsonInfo(): Promise<void> {}
  async sendDtmfInfo(): Promise<void> {}
}

/** A dialler the test steers: answer, fail, or wait to be cancelled. */
class ScriptedDialler {
  readonly requests: DialOutRequest[] = [];
  readonly cancels: string[] = [];
  next: 'answer' | 'busy' | 'ring' = 'answer';
  readonly legs: FakeOutLeg[] = [];
  readonly dial: Dialler = (req) => {
    this.requests.push(req);
    let cancel: (d?: string) => void = () => undefined;
    const mode = this.next;
    const p = new Promise<FakeOutLeg>((resolve, reject) => {
      req.onProvisional?.(180, undefined);
      if (mode === 'answer') {
        const leg = new FakeOutLeg();
        this.legs.push(leg);
        setTimeout(() => resolve(leg), 20);
      } else if (mode === 'busy') {
        setTimeout(() => reject(new OutboundCallError(486, 'busy', 'Busy Here')), 20);
      }
      cancel = (d) => {
        this.cancels.push(d ?? '');
        reject(new OutboundCallError(487, 'cancelled', d ?? ''));
      };
    });
    return Object.assign(p, { cancel: (d?: string) => cancel(d) }) as PendingOutboundCall;
  };
}


describe.skipIf(!available)('dial-out through the brewery', () => {
  let prosody: ProsodyHarness;
  let focus: FakeFocus;
  let brewery: BreweryClient;
  let registry: CallRegistry;
  let dialler: ScriptedDialler;
  const breweryRoom = 'jigasibrewery@internal-muc.meet.test';
  let n = 0;
  const cdrs: CallDetailRecord[] = [];

  beforeAll(async () => {
    prosody = await startConferenceProsody();
    await prosody.createUser('jigasi', prosody.authDomain, 'jigasi-pw');
    focus = await FakeFocus.start(prosody);
    await joinMuc(focus.client, breweryRoom, 'focus');
  });
  afterEach(async () => {
    await Promise.all(registry.all().map((c) => c.close({ cls: 'normal', cause: 'test-end' })));
    await brewery?.stop();
  });
  afterAll(async () => {
    await focus?.close();
    await prosody?.dispose();
  });

  async function setup(rules: Partial<{ maxPerRoom: number; allowed: RegExp }> = {}): Promise<string> {
    registry = new CallRegistry(10);
    dialler = new ScriptedDialler();
    brewery = new BreweryClient({
      service: prosody.service,
      domain: prosody.authDomain,
      username: 'jigasi',
      password: 'jigasi-pw',
      allowPlain: true,
      breweryRoomJid: breweryRoom,
      logger: silentLogger(),
      stats: () => ({ conferences: 0, participants: 0, gracefulShutdown: registry.draining, stressLevel: 0, version: 't' }),
    });
    const deps = testCallDeps(prosody, focus.jid, { registry, media: new FakeMediaEngine() }, {
      timeouts: { roomHeaderMs: 1000, sessionInitiateMs: 5000, bridgeMediaMs: 5000, callerRtpMs: 10000, callerRtpHangup: false, resumeWindowMs: 3000, xmppReconnectWindowMs: 3000, drainMs: 1000 },
      cdr: { record: (snapshot, end) => cdrs.push(callDetailRecord(snapshot, end, 'direct')) },
    });
    // Registers itself on the brewery session; nothing else holds it.
    new DialOutService({
      brewery,
      breweryRoomJid: breweryRoom,
      rules: { allowedNumbers: rules.allowed ?? /^\+?[0-9]{3,15}$/, maxPerRoom: rules.maxPerRoom ?? 3, ringTimeoutMs: 30000, focusNicks: ['focus'] },
      dialler: dialler.dial,
      joinTimeoutMs: 5000,
      failureLingerMs: 300,
      deps,
      logger: silentLogger(),
    });
    await brewery.start();
    const room = `dial${++n}-${process.pid}@${prosody.mucDomain}`;
    await focus.hostRoom(room);
    return room;
  }

  function dialIq(room: string, to: string, extra: Element[] = []): Element {
    return xml(
      'iq',
      { type: 'set', to: brewery.occupantJid },
      xml('dial', { xmlns: NS_RAYO, to, from: 'fromnumber' }, xml('header', { xmlns: NS_RAYO, name: 'JvbRoomName', value: room }), ...extra),
    );
  }

  it('joins the meeting, answers with the ref, rings the number with the extra headers, and shows Connected', async () => {
    const room = await setup();
    const reply = await focus.request(dialIq(room, '+15557654321', [xml('header', { xmlns: NS_RAYO, name: 'X-Billing', value: 'acme' })]));
    expect(reply.attrs['type']).toBe('result');
    const uri = reply.getChild('ref', NS_RAYO)?.attrs['uri'];
    expect(uri).toMatch(new RegExp(`^xmpp:${room}/[0-9a-f]{8}$`));
    const occupant = String(uri).slice('xmpp:'.length);
    const gw = await focus.waitForGateway(room);
    expect(gw.occupantJid).toBe(occupant);
    const headers = gw.presence.getChild('initiator', 'http://jitsi.org/protocol/jigasi')?.getChildren('header').map((h) => [h.attrs['name'], h.attrs['value']]);
    expect(headers).toEqual([
      ['JigasiCallDirection', 'out'],
      ['X-Billing', 'acme'],
    ]);
    expect(gw.presence.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('+15557654321');
    await until(() => dialler.requests.length === 1, 3000, 'INVITE');
    expect(dialler.requests[0]?.headers).toMatchObject({ 'X-Billing': 'acme', 'Jitsi-Conference-Room': room });
    await focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Ringing');
    await focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Connected');
    expect(registry.size).toBe(1);

    // The meeting's Jingle session works as for any participant.
    const r = await focus.sendJingle(occupant, buildSessionInitiate({ sid: 'o1', initiator: focus.jid, transport: loopbackTransport(), sources: [] }));
    expect(r.attrs['type']).toBe('result');

    // Hangup from the meeting: BYE, leave.
    const h = await focus.request(xml('iq', { type: 'set', to: occupant }, xml('hangup', { xmlns: NS_RAYO })));
    expect(h.attrs['type']).toBe('result');
    await until(() => registry.size === 0, 5000, 'call closed');
    expect(dialler.legs[0]?.hungUpWith).toBe('hangup-requested');
    await focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable');
    expect(cdrs.at(-1)).toMatchObject({
      direction: 'out',
      shownAs: '+15557654321',
      calledNumber: '+15557654321',
      sipCallId: 'out-1',
      room,
      endReason: 'hangup-requested',
      endedBy: 'meeting',
      sipStatus: 200,
    });
  });

  it('shows Busy in the meeting and leaves when the number is busy', async () => {
    const room = await setup();
    dialler.next = 'busy';
    const reply = await focus.request(dialIq(room, '5551000'));
    const occupant = String(reply.getChild('ref', NS_RAYO)?.attrs['uri']).slice('xmpp:'.length);
    await focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Busy');
    await focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable', 3000);
    await until(() => registry.stats().totalCompleted === 1, 3000, 'call recorded as completed');
    expect(cdrs.at(-1)).toMatchObject({ direction: 'out', calledNumber: '5551000', endReason: 'busy', endedBy: 'phone', sipStatus: 486, answeredAt: null });
  });

  it('cancels a ringing call when the meeting hangs up', async () => {
    const room = await setup();
    dialler.next = 'ring';
    const reply = await focus.request(dialIq(room, '5551001'));
    const occupant = String(reply.getChild('ref', NS_RAYO)?.attrs['uri']).slice('xmpp:'.length);
    await focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Ringing');
    await focus.request(xml('iq', { type: 'set', to: occupant }, xml('hangup', { xmlns: NS_RAYO })));
    await until(() => dialler.cancels.length === 1, 3000, 'CANCEL');
    await until(() => registry.size === 0, 5000, 'closed');
  });

  it('refuses numbers outside the allowed pattern, too many calls per meeting, strangers, and requests while draining', async () => {
    const room = await setup({ maxPerRoom: 1, allowed: /^5551\d{3}$/ });
    const refused = await focus.request(dialIq(room, '+19005550000'));
    expect(refused.attrs['type']).toBe('error');
    expect(refused.getChild('error')?.getChild('not-allowed')).toBeDefined();

    dialler.next = 'ring';
    expect((await focus.request(dialIq(room, '5551002'))).attrs['type']).toBe('result');
    const second = await focus.request(dialIq(room, '5551003'));
    expect(second.getChild('error')?.getChild('resource-constraint')).toBeDefined();

    const stranger = await FakeFocus.start(prosody, { username: 'mallory' });
    try {
      await joinMuc(stranger.client, breweryRoom, 'mallory');
      const fromStranger = await stranger.request(dialIq(room, '5551004'));
      expect(fromStranger.getChild('error')?.getChild('forbidden')).toBeDefined();
    } finally {
      await stranger.close();
    }

    registry.startDrain();
    const draining = await focus.request(dialIq(room, '5551005'));
    expect(draining.getChild('error')?.getChild('service-unavailable')).toBeDefined();
    expect(dialler.requests).toHaveLength(1);
  });
});
