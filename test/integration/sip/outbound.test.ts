import { afterEach, describe, expect, it } from 'vitest';
import { OutboundCallError } from '../../../src/sip/errors.js';
import { calleeDialog, digestChallenge, parseDigest } from '../../support/drachtio-double/index.js';
import * as sip from '../../support/sip-messages.js';
import { SipAppHarness } from './support/sip-app-harness.js';

const LOCAL_SDP = sip.sdp({ port: 41000 });
const EARLY_SDP = sip.sdp({ port: 42000, sessionVersion: 2 });
const CALLEE_SDP = sip.sdp({ port: 42000, sessionVersion: 3 });

let h: SipAppHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A gateway whose account lives on the "trunk" at 127.0.0.1:5090 (no registration: no server set). */
async function start(password?: string): Promise<SipAppHarness> {
  h = await SipAppHarness.start({
    sip: { uri: 'sip:jigasi@127.0.0.1', port: 5090, outboundPrefix: '9', ...(password ? { password } : {}) },
  });
  return h;
}

describe('dial-out', () => {
  it('reports 180 and 183 early media, then resolves with the answered leg', async () => {
    const app = await start();
    const provisional: Array<[number, string | undefined]> = [];
    const pending = app.app.placeCall({
      number: '+1 (555) 987-0000',
      localSdp: LOCAL_SDP,
      fromDisplayName: 'Weekly "sync"',
      headers: { 'X-Room-Name': 'weekly@muc.meet.jitsi', Via: 'SIP/2.0/UDP evil', 'X-Bad': 'a\r\nInjected: yes' },
      onProvisional: (status, sdp) => provisional.push([status, sdp]),
    });
    const inv = await app.double.waitForRequest('INVITE');
    expect(inv.uri).toBe('sip:9+15559870000@127.0.0.1:5090');
    expect(inv.destination).toEqual({ address: '127.0.0.1', port: 5090 });
    expect(inv.message.get('from')).toMatch(/^"Weekly \\"sync\\"" <sip:jigasi@127\.0\.0\.1>;tag=/);
    expect(inv.message.get('x-room-name')).toBe('weekly@muc.meet.jitsi');
    expect(inv.message.has('x-bad')).toBe(false);
    expect(inv.message.has('injected')).toBe(false);
    expect(inv.message.getAll('via')).toHaveLength(1);
    expect(inv.message.body).toBe(LOCAL_SDP);

    app.double.respond(inv, 180);
    app.double.respond(inv, 183, { body: EARLY_SDP });
    const ok = app.double.respond(inv, 200, { body: CALLEE_SDP });
    const leg = await pending;
    expect(provisional).toEqual([
      [180, undefined],
      [183, EARLY_SDP],
    ]);
    expect(leg.direction).toBe('out');
    expect(leg.state).toBe('answered');
    expect(leg.remoteSdp).toBe(CALLEE_SDP);
    expect(leg.callId).toBe(inv.message.callId);
    const ack = await app.double.waitForRequest('ACK');
    expect(ack.message.toTag).toBe(ok.toTag);

    const hangup = leg.hangup('meeting ended');
    const bye = await app.double.waitForRequest('BYE');
    expect(bye.message.get('reason')).toContain('meeting ended');
    app.double.respond(bye, 200);
    await hangup;
    expect(leg.state).toBe('ended');
  });

  it('reports the callee hanging up as hungUp', async () => {
    const app = await start();
    const pending = app.app.placeCall({ number: '2000', localSdp: LOCAL_SDP });
    const inv = await app.double.waitForRequest('INVITE');
    const ok = app.double.respond(inv, 200, { body: CALLEE_SDP });
    const leg = await pending;
    const hungUp = leg.waitFor('hungUp', 2000);
    const bye = app.double.injectRequest(calleeDialog(inv.message, ok).bye(), { source: { address: '127.0.0.1', port: 5090 } });
    expect((await bye.waitForResponse()).status).toBe(200);
    expect(await hungUp).toEqual(['far end hung up']);
    expect(leg.state).toBe('ended');
  });

  it('fails a busy callee with OutboundCallError busy', async () => {
    const app = await start();
    const pending = app.app.placeCall({ number: '2000', localSdp: LOCAL_SDP });
    app.double.respond(await app.double.waitForRequest('INVITE'), 486);
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundCallError);
    expect(err).toMatchObject({ status: 486, reason: 'busy', metricLabel: 'normal' });
  });

  it('maps declined and not-found responses', async () => {
    const app = await start();
    for (const [status, reason] of [
      [603, 'declined'],
      [404, 'not-found'],
      [480, 'no-answer'],
      [500, 'failed'],
    ] as const) {
      const pending = app.app.placeCall({ number: '2000', localSdp: LOCAL_SDP });
      app.double.respond(await app.double.waitForRequest('INVITE'), status);
      await expect(pending).rejects.toMatchObject({ status, reason });
    }
  });

  it('sends CANCEL when cancelled while ringing and fails with cancelled', async () => {
    const app = await start();
    const pending = app.app.placeCall({ number: '2000', localSdp: LOCAL_SDP });
    const inv = await app.double.waitForRequest('INVITE');
    app.double.respond(inv, 180);
    await new Promise((r) => setTimeout(r, 20));
    pending.cancel('moderator hung up');
    const cancel = await app.double.waitForRequest('CANCEL');
    expect(cancel.message.cseq).toEqual({ seq: inv.message.cseq.seq, method: 'CANCEL' });
    app.double.respond(cancel, 200);
    app.double.respond(inv, 487);
    await expect(pending).rejects.toMatchObject({ status: 487, reason: 'cancelled', detail: 'moderator hung up' });
  });

  it('cancels an unanswered call after the ring timeout and fails with no-answer', async () => {
    const app = await start();
    const t0 = Date.now();
    const pending = app.app.placeCall({ number: '2000', localSdp: LOCAL_SDP, ringTimeoutMs: 150 });
    const inv = await app.double.waitForRequest('INVITE');
    app.double.respond(inv, 180);
    const cancel = await app.double.waitForRequest('CANCEL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    app.double.respond(cancel, 200);
    app.double.respond(inv, 487);
    await expect(pending).rejects.toMatchObject({ status: 487, reason: 'no-answer' });
  });

  it('answers a proxy challenge with the account credentials', async () => {
    const app = await start('trunkpw');
    const pending = app.app.placeCall({ number: '2000', localSdp: LOCAL_SDP });
    const first = await app.double.waitForRequest('INVITE');
    app.double.respond(first, 407, { headers: { 'Proxy-Authenticate': digestChallenge({ realm: 'trunk', nonce: 'abc' }) } });
    const second = await app.double.waitForRequest('INVITE');
    expect(parseDigest(second.message.require('proxy-authorization'))).toMatchObject({ username: 'jigasi', realm: 'trunk', nonce: 'abc' });
    app.double.respond(second, 200, { body: CALLEE_SDP });
    expect((await pending).state).toBe('answered');
  });

  it('dials through a trunk at JIGASI_SIP_SERVER without registering there when SIP_REGISTER=false', async () => {
    h = await SipAppHarness.start({
      sip: { uri: 'sip:jigasi@pbx.example.com', server: '127.0.0.1', port: 5091, register: false, password: 'trunkpw', outboundPrefix: '0' },
    });
    expect(h.app.registrar).toBeUndefined();
    const pending = h.app.placeCall({ number: '5550100', localSdp: LOCAL_SDP });
    const invite = await h.double.waitForRequest('INVITE');
    expect(invite.uri).toMatch(/^sip:05550100@127\.0\.0\.1:5091/);
    h.double.respond(invite, 200, { body: CALLEE_SDP });
    expect((await pending).state).toBe('answered');
    expect(h.double.requests.map((r) => r.method)).toEqual(['INVITE']);
  });

  it('refuses a dial string that cannot be a SIP user without sending anything', async () => {
    const app = await start();
    await expect(app.app.placeCall({ number: 'bob<script>', localSdp: LOCAL_SDP })).rejects.toMatchObject({ reason: 'invalid-number' });
    expect(app.double.requests.filter((r) => r.method === 'INVITE')).toHaveLength(0);
  });

  it('cancels through an AbortSignal', async () => {
    const app = await start();
    const ac = new AbortController();
    const pending = app.app.placeCall({ number: '2000', localSdp: LOCAL_SDP, signal: ac.signal });
    const inv = await app.double.waitForRequest('INVITE');
    app.double.respond(inv, 183, { body: EARLY_SDP });
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    const cancel = await app.double.waitForRequest('CANCEL');
    app.double.respond(cancel, 200);
    app.double.respond(inv, 487);
    await expect(pending).rejects.toMatchObject({ reason: 'cancelled' });
  });
});
