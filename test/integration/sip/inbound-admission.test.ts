import { afterEach, describe, expect, it } from 'vitest';
import { digestResponse, parseDigest } from '../../support/drachtio-double/index.js';
import * as sip from '../../support/sip-messages.js';
import { SipAppHarness, type HarnessOptions } from './support/sip-app-harness.js';

const CALLER = '"Alice Example" <sip:+15551230000@127.0.0.1>';
const GATEWAY = '<sip:jigasi@127.0.0.1>';
const OFFER = sip.sdp({ port: 40000 });
const ROOM = { 'Jitsi-Conference-Room': 'standup' };
const TRUSTED_SOURCE = { address: '10.1.2.3', port: 5060 };
const OUTSIDE_SOURCE = { address: '127.0.0.1', port: 5070 };

let h: SipAppHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(opts: HarnessOptions = {}): Promise<SipAppHarness> {
  h = await SipAppHarness.start(opts);
  return h;
}

/** An INVITE with the given headers and SDP (null: no body, a late offer). */
function invite(headers: Record<string, string> = ROOM, sdp: string | null = OFFER): string {
  return sip.invite({ from: CALLER, to: GATEWAY, headers, ...(sdp === null ? {} : { sdp }) });
}

/** Sends an INVITE and returns the first final response the app sent. */
async function finalFor(harness: SipAppHarness, text: string, source = OUTSIDE_SOURCE): Promise<sip.SipMessage> {
  const req = harness.double.injectRequest(text, { source });
  const res = await req.waitForResponse();
  if ((res.status ?? 0) < 200) return req.waitForResponse();
  return res;
}

/** The Authorization a phone computes for the challenge in a 401. */
function answerChallenge(challenge: sip.SipMessage, requestUri: string, password: string, user = '1000'): string {
  const p = parseDigest(challenge.require('www-authenticate'));
  const nc = '00000001';
  const cnonce = 'c0ffee42';
  const response = digestResponse({ username: user, password, realm: p.realm ?? '', nonce: p.nonce ?? '', method: 'INVITE', uri: requestUri, qop: 'auth', nc, cnonce });
  return `Digest username="${user}", realm="${p.realm}", nonce="${p.nonce}", uri="${requestUri}", response="${response}", qop=auth, nc=${nc}, cnonce="${cnonce}", algorithm=MD5`;
}

describe('INVITE admission: who may call', () => {
  it('admits a caller from a trusted network without a challenge', async () => {
    const app = await start({ sip: { trustedNetworks: ['10.1.0.0/16'], inboundUsers: [{ username: '1000', password: 'pw' }] } });
    const req = app.double.injectRequest(invite(), { source: TRUSTED_SOURCE });
    expect((await req.waitForResponse(180)).status).toBe(180);
    const call = await app.calls.next();
    expect(call.meta.source.address).toBe('10.1.2.3');
    expect(call.meta.authenticatedUser).toBeUndefined();
  });

  it('refuses an untrusted source with 403 when no users are configured', async () => {
    const app = await start({ sip: { trustedNetworks: ['10.1.0.0/16'] } });
    const res = await finalFor(app, invite());
    expect(res.status).toBe(403);
    expect(res.get('reason')).toContain('trusted network');
    expect(app.calls.all).toHaveLength(0);
    expect(app.responses).toEqual([403]);
  });

  it('admits everyone when neither trusted networks nor users are configured', async () => {
    const app = await start();
    app.double.injectRequest(invite(), { source: { address: '192.0.2.77', port: 5060 } });
    const call = await app.calls.next();
    expect(call.meta.source.address).toBe('192.0.2.77');
  });

  it('challenges with 401 and admits the caller who answers the digest correctly', async () => {
    const app = await start({ sip: { inboundUsers: [{ username: '1000', password: 's3cret' }] } });
    const first = invite();
    const challenge = await finalFor(app, first);
    expect(challenge.status).toBe(401);
    const params = parseDigest(challenge.require('www-authenticate'));
    expect(params).toMatchObject({ realm: 'gateway.test', qop: 'auth', algorithm: 'MD5' });
    expect(params.stale).toBeUndefined();

    const uri = sip.parseSipMessage(first).uri ?? '';
    const retry = sip.invite({
      from: CALLER,
      to: GATEWAY,
      sdp: OFFER,
      cseq: 2,
      headers: { ...ROOM, Authorization: answerChallenge(challenge, uri, 's3cret') },
    });
    const ringing = await app.double.injectRequest(retry, { source: OUTSIDE_SOURCE }).waitForResponse(180);
    expect(ringing.status).toBe(180);
    const call = await app.calls.next();
    expect(call.meta.authenticatedUser).toBe('1000');
    expect(app.responses).toEqual([401]);
  });

  it('refuses a wrong digest answer with 403', async () => {
    const app = await start({ sip: { inboundUsers: [{ username: '1000', password: 's3cret' }] } });
    const first = invite();
    const challenge = await finalFor(app, first);
    const uri = sip.parseSipMessage(first).uri ?? '';
    const retry = invite({ ...ROOM, Authorization: answerChallenge(challenge, uri, 'guessed') });
    const res = await finalFor(app, retry);
    expect(res.status).toBe(403);
    expect(res.has('www-authenticate')).toBe(false);
    expect(app.calls.all).toHaveLength(0);
  });

  it('re-challenges a correct answer to an expired nonce with stale=true, then admits the fresh answer', async () => {
    const app = await start({ sip: { inboundUsers: [{ username: '1000', password: 's3cret' }] }, timing: { nonceTtlMs: 300 } });
    const first = invite();
    const uri = sip.parseSipMessage(first).uri ?? '';
    const challenge = await finalFor(app, first);
    await new Promise((r) => setTimeout(r, 400));
    const stale = await finalFor(app, invite({ ...ROOM, Authorization: answerChallenge(challenge, uri, 's3cret') }));
    expect(stale.status).toBe(401);
    const params = parseDigest(stale.require('www-authenticate'));
    expect(params.stale).toBe('true');
    expect(params.nonce).not.toBe(parseDigest(challenge.require('www-authenticate')).nonce);

    app.double.injectRequest(invite({ ...ROOM, Authorization: answerChallenge(stale, uri, 's3cret') }), { source: OUTSIDE_SOURCE });
    expect((await app.calls.next()).meta.authenticatedUser).toBe('1000');
  });
});

describe('INVITE admission: capacity and drain', () => {
  it('answers 503 with a long Retry-After while draining', async () => {
    const app = await start({ admission: () => ({ refused: true, status: 503, reason: 'draining' }), timing: { retryAfterSeconds: { draining: 600, capacity: 7 } } });
    const res = await finalFor(app, invite());
    expect(res.status).toBe(503);
    expect(res.get('retry-after')).toBe('600');
    expect(res.get('reason')).toContain('draining');
    expect(app.responses).toEqual([503]);
  });

  it('answers 503 with a short Retry-After when at capacity', async () => {
    const app = await start({ admission: () => ({ refused: true, status: 503, reason: 'capacity' }), timing: { retryAfterSeconds: { draining: 600, capacity: 7 } } });
    const res = await finalFor(app, invite());
    expect(res.status).toBe(503);
    expect(res.get('retry-after')).toBe('7');
    expect(app.calls.all).toHaveLength(0);
  });

  it('answers 500 when a step throws, and keeps serving the next INVITE', async () => {
    let broken = true;
    const app = await start({
      admission: () => {
        if (broken) throw new Error('registry exploded');
        return { refused: false };
      },
    });
    const res = await finalFor(app, invite());
    expect(res.status).toBe(500);
    broken = false;
    app.double.injectRequest(invite(), { source: OUTSIDE_SOURCE });
    expect((await app.calls.next()).route.kind).toBe('room');
    expect(app.responses).toEqual([500]);
  });
});

describe('INVITE admission: the caller\'s SDP', () => {
  it('refuses malformed SDP with 488 and a Warning saying why', async () => {
    const app = await start();
    const res = await finalFor(app, invite(ROOM, 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'));
    expect(res.status).toBe(488);
    expect(res.get('warning')).toMatch(/^399 \S+ "no active audio stream in SDP"$/);
    expect(app.calls.all).toHaveLength(0);
  });

  it('refuses an offer with no codec in common with 488 naming the codecs', async () => {
    const app = await start();
    const gsmOnly = sip.sdp({ port: 40000 }).replace('m=audio 40000 RTP/AVP 0 101', 'm=audio 40000 RTP/AVP 3').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:3 GSM/8000');
    const res = await finalFor(app, invite(ROOM, gsmOnly));
    expect(res.status).toBe(488);
    expect(res.get('warning')).toContain('no common codec: offered GSM');
    expect(app.responses).toEqual([488]);
  });

  it('admits an INVITE without SDP as a late offer', async () => {
    const app = await start();
    app.double.injectRequest(invite(ROOM, null), { source: OUTSIDE_SOURCE });
    const call = await app.calls.next();
    expect(call.meta.lateOffer).toBe(true);
    expect(call.leg.lateOffer).toBe(true);
    expect(call.leg.remoteSdp).toBeUndefined();
  });

  it('refuses a body that holds no SDP with 415', async () => {
    const app = await start();
    const text = sip.request('INVITE', { from: CALLER, to: GATEWAY, headers: ROOM, body: '<xml/>', contentType: 'application/xml' });
    const res = await finalFor(app, text);
    expect(res.status).toBe(415);
    expect(res.get('accept')).toBe('application/sdp');
  });
});

describe('INVITE admission: routing', () => {
  it('routes by the room header and passes the caller details to the port', async () => {
    const app = await start();
    app.double.injectRequest(invite({ 'X-Room-Name': 'Weekly@muc.meet.jitsi', 'Jitsi-Conference-Room-Pass': 'pw1' }), { source: OUTSIDE_SOURCE });
    const call = await app.calls.next();
    expect(call.route).toEqual({ kind: 'room', target: { roomJid: 'weekly@muc.meet.jitsi', password: 'pw1', source: 'header' } });
    expect(call.meta.from).toEqual({ displayName: 'Alice Example', user: '+15551230000', uri: 'sip:+15551230000@127.0.0.1' });
    expect(call.meta.header('x-room-name')).toBe('Weekly@muc.meet.jitsi');
    expect(call.leg.state).toBe('ringing');
    expect(call.leg.remoteSdp).toBe(OFFER);
  });

  it('answers 404 when no room is given and there is no default room or PIN prompt', async () => {
    const app = await start();
    const res = await finalFor(app, invite({}));
    expect(res.status).toBe(404);
    expect(res.get('reason')).toContain('no room given');
    expect(app.responses).toEqual([404]);
  });

  it('answers 404 for a room header naming a room that cannot exist', async () => {
    const app = await start();
    const res = await finalFor(app, invite({ 'Jitsi-Conference-Room': 'two words' }));
    expect(res.status).toBe(404);
    expect(res.get('reason')).toContain("invalid room 'two words'");
  });

  it('hands a call without a room to the port as a PIN route when a conference mapper is configured', async () => {
    const app = await start({ sip: { conferenceMapperUrl: 'http://127.0.0.1:1/conferenceMapper' } });
    app.double.injectRequest(invite({}), { source: OUTSIDE_SOURCE });
    const call = await app.calls.next();
    expect(call.route).toEqual({ kind: 'pin' });
  });

  it('answers 481 to a re-INVITE for a dialog it does not know', async () => {
    const app = await start();
    const text = sip.invite({ from: CALLER, to: `${GATEWAY};tag=gone123`, sdp: OFFER, headers: ROOM });
    const res = await finalFor(app, text);
    // drachtio-server itself answers in-dialog requests for unknown dialogs: the app is not asked.
    expect(res.status).toBe(481);
    expect(app.calls.all).toHaveLength(0);
  });
});
