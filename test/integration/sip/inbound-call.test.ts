import { afterEach, describe, expect, it } from 'vitest';
import { SdpNegotiationError } from '../../../src/media/caller/sdp-negotiation.js';
import { LegEndedError, SipRequestError } from '../../../src/sip/errors.js';
import type { InboundSipLeg } from '../../../src/sip/sip-leg.js';
import { callerDialog, type DialogPeer, type InjectedRequest } from '../../support/drachtio-double/index.js';
import * as sip from '../../support/sip-messages.js';
import { SipAppHarness, type HarnessOptions } from './support/sip-app-harness.js';

const CALLER = '"Bob" <sip:+15550001111@127.0.0.1>';
const GATEWAY = '<sip:jigasi@127.0.0.1>';
const OFFER = sip.sdp({ port: 40000 });
const ANSWER = sip.sdp({ port: 41000, sessionVersion: 5 });

let h: SipAppHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Ringing {
  app: SipAppHarness;
  leg: InboundSipLeg;
  invite: string;
  req: InjectedRequest;
}

async function ringingCall(opts: HarnessOptions = {}, sdp: string | null = OFFER): Promise<Ringing> {
  h = await SipAppHarness.start(opts);
  const invite = sip.invite({ from: CALLER, to: GATEWAY, headers: { 'Jitsi-Conference-Room': 'room1' }, ...(sdp === null ? {} : { sdp }) });
  const req = h.double.injectRequest(invite);
  const { leg } = await h.calls.next();
  await req.waitForResponse(180);
  return { app: h, leg, invite, req };
}

interface Answered extends Ringing {
  caller: DialogPeer;
  ok: sip.SipMessage;
}

async function answeredCall(opts: HarnessOptions = {}): Promise<Answered> {
  const r = await ringingCall(opts);
  const answered = r.leg.answer(ANSWER);
  const ok = await r.req.waitForResponse(200);
  r.app.double.injectRequest(sip.ack(r.invite, ok));
  await answered;
  return { ...r, caller: callerDialog(r.invite, ok), ok };
}

describe('inbound call: answer and hang up', () => {
  it('rings at once, answers with our SDP, confirms on the ACK, and reports the caller BYE as hungUp', async () => {
    const { app, leg, invite, req } = await ringingCall();
    expect(req.responses.map((r) => r.status)).toEqual([100, 180]);
    expect(leg.state).toBe('ringing');

    const answered = leg.answer(ANSWER);
    const ok = await req.waitForResponse(200);
    expect(ok.body).toBe(ANSWER);
    expect(ok.get('content-type')).toBe('application/sdp');
    expect(leg.state).toBe('ringing');
    app.double.injectRequest(sip.ack(invite, ok));
    await answered;
    expect(leg.state).toBe('answered');
    expect(leg.remoteSdp).toBe(OFFER);
    expect(leg.localSdp).toBe(ANSWER);

    const events: string[] = [];
    leg.on('hungUp', (reason) => events.push(`hungUp:${reason}`));
    leg.on('ended', (cause) => events.push(`ended:${cause}`));
    const bye = app.double.injectRequest(callerDialog(invite, ok).bye({ headers: { Reason: 'Q.850;cause=16;text="Normal call clearing"' } }));
    expect((await bye.waitForResponse()).status).toBe(200);
    await expect.poll(() => events).toEqual(['hungUp:Normal call clearing', 'ended:remote-bye']);
    expect(leg.state).toBe('ended');
    expect(app.responses).toEqual([200]);
    // Hanging up an ended call sends nothing.
    await leg.hangup();
    expect(app.double.requests.filter((r) => r.method === 'BYE')).toHaveLength(0);
  });

  it('sends BYE with a Reason when the gateway hangs up, once however often hangup is called', async () => {
    const { app, leg, ok, invite } = await answeredCall();
    const ended = leg.waitFor('ended', 2000);
    const first = leg.hangup('kicked from the meeting');
    const second = leg.hangup('again');
    const bye = await app.double.waitForRequest('BYE');
    expect(bye.message.toTag).toBe(sip.parseSipMessage(invite).fromTag);
    expect(bye.message.fromTag).toBe(ok.toTag);
    expect(bye.message.get('reason')).toBe('Q.850;cause=16;text="kicked from the meeting"');
    expect(leg.state).toBe('ended');
    expect(await ended).toEqual(['local-hangup', 'kicked from the meeting']);
    app.double.respond(bye, 200);
    await Promise.all([first, second]);
    expect(first).toBe(second);
    expect(app.double.requests.filter((r) => r.method === 'BYE')).toHaveLength(1);
  });

  it('rejects a ringing call with the given status and a Reason', async () => {
    const { app, leg, req } = await ringingCall();
    await leg.reject(486, 'room is full');
    const res = await req.waitForResponse(486);
    expect(res.get('reason')).toBe('SIP;cause=486;text="room is full"');
    expect(leg.state).toBe('ended');
    expect(app.responses).toEqual([486]);
    await expect(leg.answer(ANSWER)).rejects.toBeInstanceOf(LegEndedError);
  });

  it('answers hangup() of a ringing call with 480', async () => {
    const { leg, req } = await ringingCall();
    await leg.hangup('no conference');
    expect((await req.waitForResponse()).status).toBe(480);
  });

  it('tells the call layer about a CANCEL while ringing and sends nothing more', async () => {
    const { app, leg, invite, req } = await ringingCall();
    const events: string[] = [];
    leg.on('cancelled', () => {
      events.push('cancelled');
      // The call layer reacts by hanging up: that must not produce a response.
      void leg.hangup('caller cancelled');
    });
    leg.on('ended', (cause) => events.push(`ended:${cause}`));
    const cancel = app.double.injectRequest(sip.cancel(invite));
    expect((await cancel.waitForResponse()).status).toBe(200);
    expect((await req.waitForResponse(487)).status).toBe(487);
    await expect.poll(() => events).toEqual(['cancelled', 'ended:cancelled']);
    expect(leg.state).toBe('ended');
    await expect(leg.answer(ANSWER)).rejects.toMatchObject({ endCause: 'cancelled' });
    await new Promise((r) => setTimeout(r, 50));
    expect(req.refused).toEqual([]);
    expect(req.responses.map((r) => r.status)).toEqual([100, 180, 487]);
    expect(app.responses).toEqual([487]);
  });

  it('ends an answered call whose ACK never comes with a BYE', async () => {
    const { app, leg, req } = await ringingCall({ timing: { ackTimeoutMs: 150 } });
    const answered = leg.answer(ANSWER);
    await req.waitForResponse(200);
    await expect(answered).rejects.toMatchObject({ endCause: 'ack-timeout' });
    const bye = await app.double.waitForRequest('BYE');
    app.double.respond(bye, 200);
    expect(leg.state).toBe('ended');
  });

  it('ends every live leg when the drachtio connection is lost', async () => {
    const { app, leg } = await answeredCall();
    const hungUp = leg.waitFor('hungUp', 3000);
    await app.double.disconnect();
    expect(await hungUp).toEqual(['drachtio connection lost']);
    expect(leg.state).toBe('ended');
    expect(app.app.legCount).toBe(0);
  });

  it('sends the caller a BYE of the lost dialog once drachtio-server is back', async () => {
    const { app, leg, invite, ok, caller } = await answeredCall();
    // An INFO the gateway sent raises the CSeq the rebuilt BYE must go above.
    const sending = leg.sendJsonInfo({ kind: 'protocol', i: 1, t: 11, d: {} });
    const info = await app.double.waitForRequest('INFO');
    app.double.respond(info, 200);
    await sending;
    // The double forgets every dialog with the connection, as a restarted drachtio-server would.
    await app.double.disconnect();
    await app.double.waitForConnection();
    const bye = await app.double.waitForRequest('BYE');
    app.double.respond(bye, 200);
    const m = bye.message;
    const inv = sip.parseSipMessage(invite);
    expect(bye.dialogId).toBe('');
    expect(bye.uri).toBe(sip.uriOf(inv.require('contact')));
    expect(m.callId).toBe(inv.callId);
    expect(m.fromTag).toBe(ok.toTag);
    expect(m.toTag).toBe(inv.fromTag);
    expect(m.cseq.seq).toBeGreaterThan(info.message.cseq.seq);
    expect(m.get('reason')).toMatch(/^Q\.850;cause=16/);
    // The phone can match it to its call: it is the dialog it knows, seen from the other side.
    expect(caller.callId).toBe(m.callId);
  });

  it('does not send BYE for a dialog the caller had already ended', async () => {
    const { app, caller } = await answeredCall();
    await app.double.injectRequest(caller.bye()).waitForResponse(200);
    await app.double.disconnect();
    await app.double.waitForConnection();
    await expect(app.double.waitForRequest('BYE', 300)).rejects.toThrow(/timed out/);
  });
});

describe('inbound call: late offer', () => {
  it('puts our offer in the 200 and takes the caller answer from the ACK', async () => {
    const { app, leg, invite, req } = await ringingCall({}, null);
    const remoteAnswer = leg.waitFor('remoteAnswer', 2000);
    const answered = leg.answer(ANSWER);
    const ok = await req.waitForResponse(200);
    expect(ok.body).toBe(ANSWER);
    const callerAnswer = sip.sdp({ port: 40010, sessionVersion: 2 });
    app.double.injectRequest(sip.ack(invite, ok, callerAnswer));
    await answered;
    expect(await remoteAnswer).toEqual([callerAnswer]);
    expect(leg.remoteSdp).toBe(callerAnswer);
    expect(leg.state).toBe('answered');
  });
});

describe('inbound call: inside the dialog', () => {
  it('lets the reinvite handler answer a hold re-INVITE', async () => {
    const { app, leg, caller } = await answeredCall();
    const hold = sip.sdp({ port: 40000, sessionVersion: 2, direction: 'sendonly' });
    const holdAnswer = sip.sdp({ port: 41000, sessionVersion: 6, direction: 'recvonly' });
    const offers: string[] = [];
    leg.setReinviteHandler(async (offer) => {
      offers.push(offer);
      return holdAnswer;
    });
    const seen = leg.waitFor('reinvite', 2000);
    const re = app.double.injectRequest(caller.reinvite(hold));
    const ok = await re.waitForResponse(200);
    expect(ok.body).toBe(holdAnswer);
    expect(offers).toEqual([hold]);
    expect(await seen).toEqual([hold]);
    expect(leg.remoteSdp).toBe(hold);
    expect(leg.localSdp).toBe(holdAnswer);
  });

  it('refuses a re-INVITE the handler cannot accept with 488 and keeps the dialog up', async () => {
    const { app, leg, caller } = await answeredCall();
    leg.setReinviteHandler(async () => {
      throw new SdpNegotiationError('no common codec: offered GSM; supported PCMU');
    });
    const gsm = 'v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 3\r\n';
    const re = app.double.injectRequest(caller.reinvite(gsm));
    const res = await re.waitForResponse();
    expect(res.status).toBe(488);
    expect(res.get('warning')).toContain('no common codec');
    expect(leg.state).toBe('answered');
    expect(leg.remoteSdp).toBe(OFFER);

    const hungUp = leg.waitFor('hungUp', 2000);
    const bye = app.double.injectRequest(caller.bye());
    expect((await bye.waitForResponse()).status).toBe(200);
    await hungUp;
  });

  it('offers our SDP for an offerless re-INVITE and takes the answer from its ACK', async () => {
    const { app, leg, caller } = await answeredCall();
    const handlerCalls: string[] = [];
    leg.setReinviteHandler(async (offer) => {
      handlerCalls.push(offer);
      return ANSWER;
    });
    const reinvite = caller.request('INVITE');
    const re = app.double.injectRequest(reinvite);
    const ok = await re.waitForResponse(200);
    expect(ok.body).toBe(ANSWER);
    const remoteAnswer = leg.waitFor('remoteAnswer', 2000);
    const newAnswer = sip.sdp({ port: 40020, sessionVersion: 9 });
    app.double.injectRequest(sip.ack(reinvite, ok, newAnswer));
    expect(await remoteAnswer).toEqual([newAnswer]);
    expect(leg.remoteSdp).toBe(newAnswer);
    expect(handlerCalls).toEqual([]);
  });

  it('answers an UPDATE offer through the handler and a bare UPDATE with 200', async () => {
    const { app, leg, caller } = await answeredCall();
    const updated = sip.sdp({ port: 40030, sessionVersion: 4 });
    leg.setReinviteHandler(async () => ANSWER);
    const withSdp = await app.double.injectRequest(caller.update(updated)).waitForResponse();
    expect([withSdp.status, withSdp.body]).toEqual([200, ANSWER]);
    expect(leg.remoteSdp).toBe(updated);
    const refresh = await app.double.injectRequest(caller.update()).waitForResponse();
    expect([refresh.status, refresh.body]).toEqual([200, '']);
  });

  it('emits DTMF from INFO application/dtmf-relay and application/dtmf', async () => {
    const { app, leg, caller } = await answeredCall();
    const digits: Array<[string, number | undefined]> = [];
    leg.on('dtmf', (d) => digits.push([d.digit, d.durationMs]));
    const relay = app.double.injectRequest(caller.info({ contentType: 'application/dtmf-relay', body: 'Signal=5\r\nDuration=160\r\n' }));
    expect((await relay.waitForResponse()).status).toBe(200);
    const plain = app.double.injectRequest(caller.info({ contentType: 'application/dtmf', body: '#' }));
    expect((await plain.waitForResponse()).status).toBe(200);
    const junk = app.double.injectRequest(caller.info({ contentType: 'application/dtmf-relay', body: 'Signal=Z' }));
    expect((await junk.waitForResponse()).status).toBe(400);
    expect(digits).toEqual([
      ['5', 160],
      ['#', undefined],
    ]);
  });

  it('emits jigasi JSON INFO messages, answering 200, and refuses malformed JSON with 400', async () => {
    const { app, leg, caller } = await answeredCall();
    const messages: unknown[] = [];
    leg.on('jsonInfo', (m) => messages.push(m));
    const access = app.double.injectRequest(caller.info({ contentType: 'application/json', body: '{"i":1,"t":4,"d":{"pwd":"1234"}}' }));
    expect((await access.waitForResponse()).status).toBe(200);
    const mute = app.double.injectRequest(caller.info({ contentType: 'application/json', body: '{"type":"muteRequest","id":"m1","data":{"audio":true}}' }));
    expect((await mute.waitForResponse()).status).toBe(200);
    const bad = app.double.injectRequest(caller.info({ contentType: 'application/json', body: '{"t":4,' }));
    const refused = await bad.waitForResponse();
    expect(refused.status).toBe(400);
    expect(refused.get('warning')).toContain('malformed JSON');
    expect(messages).toEqual([
      { kind: 'protocol', t: 4, i: 1, d: { pwd: '1234' } },
      { kind: 'mute', type: 'muteRequest', id: 'm1', audioMuted: true, status: undefined },
    ]);
  });

  it('sends JSON and DTMF INFO into the dialog and reports a refusal', async () => {
    const { app, leg, ok } = await answeredCall();
    const sent = leg.sendJsonInfo({ kind: 'protocol', t: 3, i: 0, d: undefined });
    const info = await app.double.waitForRequest('INFO');
    expect(info.message.get('content-type')).toBe('application/json');
    expect(JSON.parse(info.message.body)).toEqual({ t: 3, i: 0 });
    expect(info.message.fromTag).toBe(ok.toTag);
    app.double.respond(info, 200);
    await sent;

    const dtmf = leg.sendDtmfInfo('7', 200);
    const dtmfInfo = await app.double.waitForRequest('INFO');
    expect(dtmfInfo.message.get('content-type')).toBe('application/dtmf-relay');
    expect(dtmfInfo.message.body).toBe('Signal=7\r\nDuration=200\r\n');
    app.double.respond(dtmfInfo, 415);
    await expect(dtmf).rejects.toMatchObject({ name: 'SipRequestError', status: 415 });
    await expect(dtmf).rejects.toBeInstanceOf(SipRequestError);
  });
});
