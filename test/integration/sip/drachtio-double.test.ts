import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type Srf from 'drachtio-srf';
import { callerDialog, DialogPeer, DrachtioDouble } from '../../support/drachtio-double/index.js';
import { SrfClient } from '../../support/drachtio-double/srf-harness.js';
import * as sip from '../../support/sip-messages.js';

const CALLER = '"Alice" <sip:+15551230000@127.0.0.1>';
const GATEWAY = '<sip:room1@127.0.0.1>';
const CALLER_SDP = sip.sdp({ port: 40000 });
const GATEWAY_SDP = sip.sdp({ port: 41000, address: '127.0.0.1', sessionVersion: 7 });

let double: DrachtioDouble;
let client: SrfClient | undefined;

beforeEach(async () => {
  double = await DrachtioDouble.start();
});

afterEach(async () => {
  await client?.close();
  client = undefined;
  await double.close();
});

async function connect(): Promise<Srf> {
  client = await SrfClient.connect(double);
  return client.srf;
}

/** Resolves with what an app handler hands over (a dialog, a request…). */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** App answering every INVITE with 180 then 200 (createUAS); hands over the dialog. */
async function answeringApp(): Promise<{ srf: Srf; dialog: Promise<Srf.Dialog> }> {
  const srf = await connect();
  const dialog = deferred<Srf.Dialog>();
  srf.use('invite', (req, res) => {
    res.send(180);
    void srf.createUAS(req, res, { localSdp: GATEWAY_SDP }).then(dialog.resolve);
  });
  await double.waitForRoute('invite');
  return { srf, dialog: dialog.promise };
}

/** An inbound call up to the ACK; returns the app's dialog and the caller's half. */
async function establishedCall(): Promise<{ dialog: Srf.Dialog; caller: DialogPeer; invite: string; ok: sip.SipMessage }> {
  const app = await answeringApp();
  const invite = sip.invite({ from: CALLER, to: GATEWAY, sdp: CALLER_SDP });
  const h = double.injectRequest(invite);
  const ok = await h.waitForResponse(200);
  const dialog = await app.dialog;
  const acked = new Promise<void>((resolve) => dialog.on('ack', () => resolve()));
  double.injectRequest(sip.ack(invite, ok));
  await acked;
  return { dialog, caller: callerDialog(invite, ok), invite, ok };
}

describe('drachtio double: connection', () => {
  it('authenticates srf and reports the SIP transports as drachtio-server does', async () => {
    await connect();
    const [err, hostport, version, localHostports] = client?.connects[0] ?? [];
    expect(err).toBeNull();
    expect(hostport).toBe('udp/127.0.0.1:5060,tcp/127.0.0.1:5060');
    expect(version).toBe('v0.9.4');
    expect(localHostports).toBe(hostport);
    await double.waitForConnection();
    expect(double.connectionCount).toBe(1);
    expect(double.authFailures).toBe(0);
  });

  it('rejects a wrong secret so srf reports an authentication failure, then drops the connection', async () => {
    client = await SrfClient.connect(double, { secret: 'not-the-secret' });
    const [err] = client.connects[0] ?? [];
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/failed to authenticate/);
    expect(double.authFailures).toBe(1);
    await double.waitForNoConnection();
    expect(double.connectionCount).toBe(0);
  });

  it('routes only the methods the app registered and answers others with 503 itself', async () => {
    const srf = await connect();
    srf.use('options', (_req, res) => res.send(200));
    await double.waitForRoute('options');
    const h = double.injectRequest(sip.request('MESSAGE', { from: CALLER, to: GATEWAY, body: 'hi', contentType: 'text/plain' }));
    const res = await h.waitForResponse();
    expect(res.status).toBe(503);
    expect(h.delivered).toBe(false);
    expect(h.sentByStack(res)).toBe(true);
  });
});

describe('drachtio double: requests from the network', () => {
  it('delivers OPTIONS to the app with source metadata and returns its 200 with a To tag', async () => {
    const srf = await connect();
    const seen = deferred<Srf.SrfRequest>();
    srf.use('options', (req, res) => {
      seen.resolve(req);
      res.send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO' } });
    });
    await double.waitForRoute('options');
    const text = sip.options({ from: CALLER, to: GATEWAY, callId: 'opt-1@127.0.0.1' });
    const h = double.injectRequest(text, { source: { address: '127.0.0.1', port: 5999 }, protocol: 'tcp' });
    const res = await h.waitForResponse(200);
    const req = await seen.promise;
    expect(req.method).toBe('OPTIONS');
    expect(req.source_address).toBe('127.0.0.1');
    expect(req.source_port).toBe(5999);
    expect(req.protocol).toBe('tcp');
    expect(req.get('Call-ID')).toBe('opt-1@127.0.0.1');
    expect(res.callId).toBe('opt-1@127.0.0.1');
    expect(res.get('allow')).toBe('INVITE, ACK, BYE, CANCEL, OPTIONS, INFO');
    expect(res.toTag).toMatch(/\S+/);
    expect(res.get('via')).toBe(sip.parseSipMessage(text).get('via'));
    expect(h.sentByStack(res)).toBe(false);
  });

  it('runs an inbound call: 180, 200 with SDP, ACK, then BYE from the caller destroys the dialog', async () => {
    const app = await answeringApp();
    const invite = sip.invite({ from: CALLER, to: GATEWAY, sdp: CALLER_SDP });
    const h = double.injectRequest(invite);

    const ringing = await h.waitForResponse(180);
    const ok = await h.waitForResponse(200);
    expect(ok.toTag).toBe(ringing.toTag);
    expect(ok.get('content-type')).toBe('application/sdp');
    expect(ok.body).toBe(GATEWAY_SDP);
    expect(sip.uriOf(ok.require('contact'))).toBe('sip:127.0.0.1:5060');

    const dialog = await app.dialog;
    expect(dialog.sip.callId).toBe(sip.parseSipMessage(invite).callId);
    expect(dialog.sip.remoteTag).toBe(sip.parseSipMessage(invite).fromTag);
    expect(dialog.sip.localTag).toBe(ok.toTag);
    expect(dialog.remote.sdp).toBe(CALLER_SDP);

    const acked = new Promise<Srf.SrfRequest>((resolve) => dialog.on('ack', resolve));
    double.injectRequest(sip.ack(invite, ok));
    expect((await acked).method).toBe('ACK');

    const destroyed = new Promise<Srf.SrfRequest>((resolve) => dialog.on('destroy', resolve));
    const caller = callerDialog(invite, ok);
    const bye = double.injectRequest(caller.bye());
    expect((await destroyed).method).toBe('BYE');
    expect((await bye.waitForResponse()).status).toBe(200);
    // drachtio-server forgets the dialog on BYE: a second one gets 481 from the stack.
    expect((await double.injectRequest(caller.bye()).waitForResponse()).status).toBe(481);
  });

  it('sends the app BYE (dialog.destroy) with the dialog Call-ID, tags, target and a fresh CSeq', async () => {
    const { dialog, invite, ok } = await establishedCall();
    const inv = sip.parseSipMessage(invite);
    const done = new Promise<unknown>((resolve) => dialog.destroy(undefined, (err) => resolve(err)));

    const bye = await double.waitForRequest('BYE');
    expect(bye.dialogId).toBe(`${inv.callId};from-tag=${inv.fromTag}`);
    expect(bye.uri).toBe(sip.uriOf(inv.require('contact')));
    expect(bye.message.callId).toBe(inv.callId);
    expect(bye.message.fromTag).toBe(ok.toTag);
    expect(bye.message.toTag).toBe(inv.fromTag);
    expect(bye.message.cseq.method).toBe('BYE');
    expect(bye.message.get('via')).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:5060;rport;branch=z9hG4bK/);
    expect(bye.fromApp?.uri).toBe('sip:placeholder');

    double.respond(bye, 200);
    expect(await done).toBeFalsy();
  });

  it('lets the caller CANCEL while ringing: the app sees cancel and the INVITE ends with 487', async () => {
    const srf = await connect();
    const cancelled = deferred<Srf.SipMessage>();
    const lateAnswer = deferred<unknown>();
    srf.use('invite', (req, res) => {
      req.on('cancel', (msg) => {
        cancelled.resolve(msg);
        // drachtio-server has already ended the INVITE; it refuses this one as it would.
        const send = res.send as unknown as (status: number, opts: object, cb: (err: unknown) => void) => void;
        send.call(res, 487, {}, (err) => lateAnswer.resolve(err));
      });
      res.send(180);
    });
    await double.waitForRoute('invite');
    const invite = sip.invite({ from: CALLER, to: GATEWAY, sdp: CALLER_SDP });
    const h = double.injectRequest(invite);
    const ringing = await h.waitForResponse(180);

    const c = double.injectRequest(sip.cancel(invite));
    expect((await c.waitForResponse()).status).toBe(200);
    const terminated = await h.waitForResponse(487);
    expect(terminated.toTag).toBe(ringing.toTag);
    expect(h.sentByStack(terminated)).toBe(true);
    expect((await cancelled.promise).get('Call-ID')).toBe(sip.parseSipMessage(invite).callId);
    expect(await lateAnswer.promise).toBe('Response not sent due to unknown transaction');
    expect(h.refused.map((r) => r.status)).toEqual([487]);
    // The caller's ACK to the 487 stays inside the stack.
    const a = double.injectRequest(sip.ack(invite, terminated));
    expect(a.delivered).toBe(false);
  });

  it("routes an UPDATE in the early dialog to the pending INVITE's update event", async () => {
    const srf = await connect();
    const updated = deferred<string>();
    srf.use('invite', (req, res) => {
      const invite = req as Srf.SrfRequest & { on(event: 'update', cb: (r: Srf.SrfRequest, s: Srf.SrfResponse) => void): void };
      invite.on('update', (ureq, ures) => {
        updated.resolve(ureq.body);
        ures.send(200, { body: GATEWAY_SDP });
      });
      res.send(183, { body: GATEWAY_SDP });
    });
    await double.waitForRoute('invite');
    const invite = sip.invite({ from: CALLER, to: GATEWAY, sdp: CALLER_SDP });
    const h = double.injectRequest(invite);
    const progress = await h.waitForResponse(183);
    const early = callerDialog(invite, progress);
    const newOffer = sip.sdp({ port: 40004, sessionVersion: 2 });
    const u = double.injectRequest(early.update(newOffer));
    expect(await updated.promise).toBe(newOffer);
    const ok = await u.waitForResponse();
    expect([ok.status, ok.body, ok.toTag]).toEqual([200, GATEWAY_SDP, progress.toTag]);
  });

  it("passes a re-INVITE to the dialog's modify event and returns the app's answer", async () => {
    const { dialog, caller } = await establishedCall();
    const newOffer = sip.sdp({ port: 40002, sessionVersion: 2 });
    const modified = deferred<string>();
    dialog.on('modify', (req, res) => {
      modified.resolve(req.body);
      res.send(200, { body: sip.sdp({ port: 41000, sessionVersion: 8 }) });
    });
    const reinvite = caller.reinvite(newOffer);
    const h = double.injectRequest(reinvite);
    expect(await modified.promise).toBe(newOffer);
    const ok = await h.waitForResponse(200);
    expect(ok.body).toContain('o=- 1234 8 IN IP4');
    expect(ok.cseq).toEqual({ seq: sip.parseSipMessage(reinvite).cseq.seq, method: 'INVITE' });
    expect(h.responses[0]?.status).toBe(100);
  });

  it("passes INFO in the dialog to the dialog's info event", async () => {
    const { dialog, caller } = await establishedCall();
    const info = deferred<{ type: string; body: string }>();
    dialog.on('info', (req, res) => {
      info.resolve({ type: req.get('Content-Type'), body: req.body });
      res.send(200);
    });
    const body = JSON.stringify({ i: 1, t: 11, d: {} });
    const h = double.injectRequest(caller.info({ contentType: 'application/json', body }));
    expect(await info.promise).toEqual({ type: 'application/json', body });
    expect((await h.waitForResponse()).status).toBe(200);
  });

  it('answers an in-dialog request for an unknown dialog with 481 without bothering the app', async () => {
    await answeringApp();
    const stray = new DialogPeer('nope@127.0.0.1', '<sip:a@127.0.0.1>;tag=a1', '<sip:b@127.0.0.1>;tag=b1', 'sip:b@127.0.0.1', 5);
    const h = double.injectRequest(stray.bye());
    expect((await h.waitForResponse()).status).toBe(481);
    expect(h.delivered).toBe(false);
  });
});
