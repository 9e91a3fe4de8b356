import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Srf from 'drachtio-srf';
import { calleeDialog, digestChallenge, digestResponse, DrachtioDouble, parseDigest } from '../../support/drachtio-double/index.js';
import { finalResponse, SrfClient, srfRequest } from '../../support/drachtio-double/srf-harness.js';
import * as sip from '../../support/sip-messages.js';

const REGISTRAR = 'sip:127.0.0.1:5099';
const AOR = '<sip:1000@127.0.0.1:5099>';
const GATEWAY_SDP = sip.sdp({ port: 41000 });
const CALLEE_SDP = sip.sdp({ port: 42000, sessionVersion: 3 });

let double: DrachtioDouble;
let client: SrfClient | undefined;

beforeEach(async () => {
  double = await DrachtioDouble.start();
  client = await SrfClient.connect(double);
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  await double.close();
});

function srf(): Srf {
  if (!client) throw new Error('srf not connected');
  return client.srf;
}

describe('drachtio double: REGISTER sent by the app', () => {
  it('lets srf answer a 401 digest challenge and checks the digest it computed', async () => {
    const sent = srfRequest(srf(), REGISTRAR, {
      method: 'REGISTER',
      headers: { From: AOR, To: AOR, Contact: '<sip:1000@127.0.0.1:5060>', Expires: '600' },
      auth: { username: '1000', password: 's3cret' },
    });
    const first = await double.waitForRequest('REGISTER');
    expect(first.uri).toBe(REGISTRAR);
    expect(first.message.has('authorization')).toBe(false);
    expect(first.message.fromTag).toMatch(/\S+/);
    expect(first.message.get('via')).toMatch(/branch=z9hG4bK/);
    const final = finalResponse(await sent);

    const challenge = { realm: 'pbx.test', nonce: 'b7f2c1d9e0', qop: 'auth', opaque: '5ccc069c' };
    double.respond(first, 401, { headers: { 'WWW-Authenticate': digestChallenge(challenge) } });

    const second = await double.waitForRequest('REGISTER');
    expect(second.message.callId).toBe(first.message.callId);
    expect(second.message.fromTag).toBe(first.message.fromTag);
    expect(second.message.cseq.seq).toBe(first.message.cseq.seq + 1);
    const auth = parseDigest(second.message.require('authorization'));
    expect(auth).toMatchObject({ username: '1000', realm: 'pbx.test', nonce: challenge.nonce, uri: REGISTRAR, qop: 'auth', opaque: challenge.opaque });
    const expected = (password: string): string =>
      digestResponse({ username: '1000', password, realm: 'pbx.test', nonce: challenge.nonce, method: 'REGISTER', uri: REGISTRAR, qop: 'auth', nc: auth.nc, cnonce: auth.cnonce });
    expect(auth.response).toBe(expected('s3cret'));
    expect(auth.response).not.toBe(expected('wrong'));

    double.respond(second, 200, { headers: { Contact: '<sip:1000@127.0.0.1:5060>;expires=600' } });
    const res = await final;
    expect(res.status).toBe(200);
    expect(res.get('Contact')).toContain('expires=600');
  });

  it('refuses a request whose body has no content type, as drachtio-server does', async () => {
    await expect(
      srfRequest(srf(), 'sip:bob@127.0.0.1:5090', { method: 'MESSAGE', body: 'hello' }),
    ).rejects.toThrow(/missing content-type/);
    expect(double.requests).toHaveLength(0);
  });
});

describe('drachtio double: calls placed by the app (createUAC)', () => {
  it('handles early media, 200, the ACK, and a BYE from the callee', async () => {
    const provisional: Srf.SrfResponse[] = [];
    const placed = srf().createUAC(
      'sip:+15559870000@127.0.0.1:5090',
      { localSdp: GATEWAY_SDP, headers: { From: '<sip:gateway@localhost>', 'X-Room': 'room1' } },
      { cbProvisional: (res) => provisional.push(res) },
    );
    const inv = await double.waitForRequest('INVITE');
    const m = inv.message;
    expect(inv.destination).toEqual({ address: '127.0.0.1', port: 5090 });
    expect(m.get('from')).toMatch(/^<sip:gateway@127\.0\.0\.1:5060>;tag=\S+$/);
    expect(m.get('to')).toBe('<sip:+15559870000@127.0.0.1:5090>');
    expect(m.get('contact')).toBe('<sip:127.0.0.1:5060>');
    expect(m.get('content-type')).toBe('application/sdp');
    expect(m.get('x-room')).toBe('room1');
    expect(m.cseq.method).toBe('INVITE');
    expect(m.body).toBe(GATEWAY_SDP);

    const ringing = double.respond(inv, 180, { body: CALLEE_SDP });
    const ok = double.respond(inv, 200, { body: CALLEE_SDP });
    expect(ok.toTag).toBe(ringing.toTag);
    const dialog = await placed;
    expect(provisional.map((r) => [r.status, r.body])).toEqual([[180, CALLEE_SDP]]);
    expect(dialog.sip).toEqual({ callId: m.callId, localTag: m.fromTag, remoteTag: ok.toTag });
    expect(dialog.remote.sdp).toBe(CALLEE_SDP);

    const ack = await double.waitForRequest('ACK');
    expect(ack.origin).toBe('app');
    expect(ack.uri).toBe(sip.uriOf(ok.require('contact')));
    expect(ack.message.cseq).toEqual({ seq: m.cseq.seq, method: 'ACK' });
    expect(ack.message.toTag).toBe(ok.toTag);
    expect(ack.message.get('via')).not.toBe(m.get('via'));

    const destroyed = new Promise<Srf.SrfRequest>((resolve) => dialog.on('destroy', resolve));
    const callee = calleeDialog(m, ok);
    const bye = double.injectRequest(callee.bye(), { source: { address: '127.0.0.1', port: 5090 } });
    expect((await destroyed).get('Call-ID')).toBe(m.callId);
    expect((await bye.waitForResponse()).status).toBe(200);
  });

  it('reports a rejected call as a SipError and lets the stack ACK the failure', async () => {
    const placed = srf().createUAC('sip:busy@127.0.0.1:5090', { localSdp: GATEWAY_SDP });
    const inv = await double.waitForRequest('INVITE');
    double.respond(inv, 486);
    await expect(placed).rejects.toMatchObject({ status: 486 });
    const ack = await double.waitForRequest('ACK');
    expect(ack.origin).toBe('stack');
    expect(ack.message.get('via')).toBe(inv.message.get('via'));
    expect(ack.uri).toBe(inv.uri);
  });

  it('sends CANCEL for a ringing call and keeps the 200 to the CANCEL inside the stack', async () => {
    let sentInvite: Srf.SrfRequest | undefined;
    const placed = srf().createUAC('sip:slow@127.0.0.1:5090', { localSdp: GATEWAY_SDP }, {
      // srf calls cbRequest(err, req), although its d.ts declares (req).
      cbRequest: (...args: unknown[]) => {
        sentInvite = args[1] as Srf.SrfRequest;
      },
    });
    const inv = await double.waitForRequest('INVITE');
    double.respond(inv, 180);
    await expect.poll(() => sentInvite?.method).toBe('INVITE');
    sentInvite?.cancel(() => {});
    const cancel = await double.waitForRequest('CANCEL');
    expect(cancel.message.get('via')).toBe(inv.message.get('via'));
    expect(cancel.message.cseq).toEqual({ seq: inv.message.cseq.seq, method: 'CANCEL' });
    double.respond(cancel, 200);
    double.respond(inv, 487);
    await expect(placed).rejects.toMatchObject({ status: 487 });
  });

  it('sends a re-INVITE in the dialog (dialog.modify) and ACKs the answer', async () => {
    const placed = srf().createUAC('sip:bob@127.0.0.1:5090', { localSdp: GATEWAY_SDP });
    const inv = await double.waitForRequest('INVITE');
    const ok = double.respond(inv, 200, { body: CALLEE_SDP });
    const dialog = await placed;
    await double.waitForRequest('ACK');

    const answer = dialog.modify(sip.sdp({ port: 41000, direction: 'sendonly' }));
    const reinvite = await double.waitForRequest('INVITE');
    expect(reinvite.dialogId).toBe(`${inv.message.callId};from-tag=${inv.message.fromTag}`);
    expect(reinvite.uri).toBe(sip.uriOf(ok.require('contact')));
    expect(reinvite.message.cseq.seq).toBe(inv.message.cseq.seq + 1);
    expect(reinvite.message.toTag).toBe(ok.toTag);
    expect(reinvite.message.body).toContain('a=sendonly');
    double.respond(reinvite, 200, { body: sip.sdp({ port: 42000, direction: 'recvonly' }) });
    expect(await answer).toContain('a=recvonly');
    const ack = await double.waitForRequest('ACK');
    expect(ack.message.cseq).toEqual({ seq: reinvite.message.cseq.seq, method: 'ACK' });
  });
});
