import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { calleeDialog, callerDialog, type CapturedRequest } from '../support/drachtio-double/index.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { detectTones } from '../support/audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness, type PhoneCall } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const WEB_TONES = [600, 900];
const CALLER_TONE = 1700;
const TARGET_TONE = 1100;
const TOKEN = 'e2e-operator-token-0123456789';
/** The transfer targets: a PBX at 127.0.0.1:5092 (the double plays it; nothing listens there). */
const PBX = '127.0.0.1:5092';

describe.skipIf(!available)('call transfer (REFER) through the whole gateway', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await GatewayHarness.start({
      SIP_REFER_POLICY: 'sip:(2\\d\\d|busy)@127\\.0\\.0\\.1:5092',
      HTTP_API_TOKEN: TOKEN,
    });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    // A failed test must not leave its call to the next one.
    await h.gateway.registry.closeAll({ cls: 'normal', cause: 'test-cleanup' });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The next `method` request the gateway sent in the dialog `callId` (others, left over, are answered and skipped). */
  async function requestOf(method: string, callId: string, timeoutMs = 10_000): Promise<CapturedRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await h.drachtio.waitForRequest(method, Math.max(1, deadline - Date.now()));
      if (r.message.get('call-id') === callId) return r;
      h.drachtio.respond(r, 200);
    }
  }

  /** The registered call in `room`. */
  function callIn(room: string): string {
    const c = h.gateway.registry.all().find((x) => x.roomJid === room);
    if (c === undefined) throw new Error(`no call in ${room}`);
    return c.id;
  }

  async function phone(): Promise<RtpPhone> {
    const p = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => p.close());
    return p;
  }

  /** A caller in a meeting, talking (CALLER_TONE), the meeting talking back (WEB_TONES). */
  async function connectedCaller(name = 'Alice Phone') {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: WEB_TONES.map((freqHz) => ({ freqHz })), decodeRate: 16000 });
    cleanups.push(() => conf.close());
    const caller = await phone();
    const { call, endpoint } = await h.connectedCall(caller, room, conf, name);
    conf.start();
    caller.startTone(CALLER_TONE);
    await until(() => (endpoint.gateway()?.packets ?? 0) > 40, 5000, 'caller audio at the bridge');
    return { room, conf, caller, call, endpoint };
  }

  /** The gateway's NOTIFY for the phone's REFER, answered 200; returns its sipfrag status line. */
  async function nextNotify(call: PhoneCall): Promise<{ req: CapturedRequest; frag: string; state: string }> {
    const n = await requestOf('NOTIFY', call.ok!.get('call-id')!);
    h.drachtio.respond(n, 200);
    return { req: n, frag: (n.message.body ?? '').trim(), state: n.message.get('subscription-state') ?? '' };
  }

  async function refer(call: PhoneCall, referTo: string): Promise<number> {
    if (call.ok === undefined) throw new Error('not answered');
    const r = h.drachtio.injectRequest(callerDialog(call.invite, call.ok).refer(referTo, { referredBy: '<sip:alice@127.0.0.1>' }));
    return (await r.waitForResponse()).status ?? 0;
  }

  it('moves the meeting participant to the Refer-To target: 202, NOTIFY 100 then 200, BYE to the old leg, the target heard', async () => {
    const { room, caller, call, endpoint } = await connectedCaller();
    const occupant = call.occupant!;

    expect(await refer(call, `"Front Desk" <sip:200@${PBX}>`)).toBe(202);
    const trying = await nextNotify(call);
    expect(trying.frag).toBe('SIP/2.0 100 Trying');
    expect(trying.req.message.get('event')).toMatch(/^refer;id=\d+$/);
    expect(trying.req.message.get('content-type')).toMatch(/^message\/sipfrag/);
    expect(trying.state).toMatch(/^active/);

    // The gateway calls the target, on the caller's behalf.
    const inv = await h.drachtio.waitForRequest('INVITE', 10_000);
    expect(inv.uri).toBe(`sip:200@${PBX}`);
    expect(inv.message.get('referred-by')).toBe('<sip:alice@127.0.0.1>');
    const offer = inv.message.body ?? '';
    const target = await phone();
    const ok = h.drachtio.respond(inv, 200, { body: target.offer(), contentType: 'application/sdp' });
    target.sendTo(/^c=IN IP4 (\S+)/m.exec(offer)![1]!, Number(/^m=audio (\d+) /m.exec(offer)![1]));

    const done = await nextNotify(call);
    expect(done.frag).toBe('SIP/2.0 200 OK');
    expect(done.state).toMatch(/^terminated/);
    // The old leg goes; the phone that transferred stops sending.
    const bye = await requestOf('BYE', call.ok!.get('call-id')!, 5000);
    h.drachtio.respond(bye, 200);
    caller.stopAudio();

    // The same participant, renamed, now carries the target's voice both ways.
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('nick', 'http://jabber.org/protocol/nick') === 'Front Desk', 5000);
    target.startTone(TARGET_TONE);
    const atBridge = endpoint.gateway()!;
    const mark = atBridge.frames.length;
    const heardFrom = target.received.length;
    await until(() => atBridge.frames.length > mark + 75, 5000, 'audio at the bridge after the transfer');
    // Past the first half second, which may still drain the old caller's jitter buffer.
    expect(atBridge.tones([TARGET_TONE, CALLER_TONE], mark + 25)).toEqual([TARGET_TONE]);
    await until(() => target.received.length > heardFrom + 50, 5000, 'meeting audio at the target');
    expect(detectTones(target.audio(heardFrom + 25), 8000, [...WEB_TONES, CALLER_TONE])).toEqual(WEB_TONES);
    expect(h.gateway.registry.size).toBe(1);
    const gw = h.gateway.registry.all()[0]!;
    expect(gw.roomJid).toBe(room);

    // The target hangs up: now the call ends.
    const peer = calleeDialog(inv.message, ok);
    h.drachtio.injectRequest(peer.bye(), { source: { address: '127.0.0.1', port: 5092 } });
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable');
  });

  it('refuses a target the policy does not allow with 403, and the call goes on', async () => {
    const { caller, call, endpoint } = await connectedCaller();
    const before = h.drachtio.requests.length;
    expect(await refer(call, `<sip:999@${PBX}>`)).toBe(403);
    expect(await refer(call, '<sip:200@elsewhere.test>')).toBe(403);
    const atBridge = endpoint.gateway()!;
    const mark = atBridge.frames.length;
    await until(() => atBridge.frames.length > mark + 50, 5000, 'caller audio still flowing');
    expect(atBridge.tones([CALLER_TONE], mark)).toEqual([CALLER_TONE]);
    expect(h.drachtio.requests.slice(before).map((r) => r.method)).toEqual([]);
    caller.stopAudio();
    expect(await call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });

  it('reports a busy target as NOTIFY 486, and the call goes on', async () => {
    const { room, caller, call, endpoint } = await connectedCaller();
    expect(await refer(call, `<sip:busy@${PBX}>`)).toBe(202);
    expect((await nextNotify(call)).frag).toBe('SIP/2.0 100 Trying');
    const inv = await h.drachtio.waitForRequest('INVITE', 10_000);
    expect(inv.uri).toBe(`sip:busy@${PBX}`);
    h.drachtio.respond(inv, 486);
    const final = await nextNotify(call);
    expect(final.frag).toMatch(/^SIP\/2\.0 486 /);
    expect(final.state).toMatch(/^terminated/);
    const atBridge = endpoint.gateway()!;
    const mark = atBridge.frames.length;
    await until(() => atBridge.frames.length > mark + 50, 5000, 'caller audio still flowing');
    expect(atBridge.tones([CALLER_TONE], mark)).toEqual([CALLER_TONE]);
    expect(h.gateway.registry.all().map((c) => c.roomJid)).toContain(room);
    caller.stopAudio();
    expect(await call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });

  it('transfers the phone side out of the meeting over the HTTP API, with the bearer token only', async () => {
    const { call, room } = await connectedCaller('Bob Phone');
    const occupant = call.occupant!;
    const id = callIn(room);
    const before = h.drachtio.requests.length;
    const url = `http://127.0.0.1:${h.gateway.http.address?.port}/calls/${encodeURIComponent(id)}/transfer`;
    const post = (token?: string): Promise<Response> =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ to: 'sip:300@pbx.test' }),
      });
    expect((await post()).status).toBe(401);
    expect((await post('wrong-token-0123456789')).status).toBe(401);
    expect(h.drachtio.requests.slice(before).map((r) => r.method)).toEqual([]);

    const answer = post(TOKEN);
    const ref = await requestOf('REFER', call.ok!.get('call-id')!, 5000);
    expect(ref.message.get('refer-to')).toBe('<sip:300@pbx.test>');
    h.drachtio.respond(ref, 202);
    const peer = callerDialog(call.invite, call.ok!);
    const cseq = Number(/^(\d+)/.exec(ref.message.get('cseq') ?? '')?.[1]);
    expect((await h.drachtio.injectRequest(peer.referNotify(100, 'Trying', { referCseq: cseq })).waitForResponse()).status).toBe(200);
    expect((await h.drachtio.injectRequest(peer.referNotify(200, 'OK', { referCseq: cseq })).waitForResponse()).status).toBe(200);
    const res = await answer;
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'transferred', referStatus: 202, finalStatus: 200, finalReason: 'OK' });
    // Confirmed: the participant leaves the meeting and the phone side gets its BYE.
    h.drachtio.respond(await requestOf('BYE', call.ok!.get('call-id')!, 5000), 200);
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable');
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    const ended = await h.gateway.metrics.callsTotal.get();
    expect(ended.values.find((v) => v.labels['result'] === 'normal')?.value ?? 0).toBeGreaterThan(0);
  });

  it('keeps the call when the phone side cannot reach the operator\'s target (NOTIFY 486)', async () => {
    const { call, room } = await connectedCaller('Carol Phone');
    const id = callIn(room);
    const answer = fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/calls/${encodeURIComponent(id)}/transfer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ to: 'sip:301@pbx.test' }),
    });
    const ref = await requestOf('REFER', call.ok!.get('call-id')!, 5000);
    h.drachtio.respond(ref, 202);
    const peer = callerDialog(call.invite, call.ok!);
    await h.drachtio.injectRequest(peer.referNotify(486, 'Busy Here')).waitForResponse();
    const res = await answer;
    expect(await res.json()).toEqual({ status: 'failed', referStatus: 202, finalStatus: 486, finalReason: 'Busy Here' });
    expect(h.gateway.registry.all().map((c) => c.roomJid)).toContain(room);
    expect(await call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });
});

describe.skipIf(!available)('caller identity in the meeting', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'names-'));
    const file = join(dir, 'numbers.txt');
    await writeFile(file, '+4930123456 = "Reception"\n');
    h = await GatewayHarness.start({ SIP_NUMBER_MAP_FILE: file });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['P-Asserted-Identity', { from: '"Typed" <sip:100@127.0.0.1>', headers: { 'P-Asserted-Identity': '"Asserted Name" <sip:+4930555@trunk.test>' } }, 'Asserted Name'],
    ['Remote-Party-ID', { from: '<sip:100@127.0.0.1>', headers: { 'Remote-Party-ID': '"Party Name" <sip:+4930666@pbx.test>;party=calling;screen=yes' } }, 'Party Name'],
    ['Privacy: id', { from: '"Dan" <sip:+4930777@127.0.0.1>', headers: { 'P-Asserted-Identity': '<sip:+4930777@trunk.test>', Privacy: 'id' } }, 'Anonymous'],
    ['an anonymous From', { from: '"Anonymous" <sip:anonymous@anonymous.invalid>', headers: {} }, 'Anonymous'],
    ['the directory', { from: '<sip:+4930123456@127.0.0.1>', headers: {} }, 'Reception'],
  ])('names the participant from %s', async (_label, extra, nick) => {
    const room = await h.newRoom();
    const p = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => p.close());
    const call = await h.dial(p, room, nick, extra);
    const gw = await h.focus.waitForGateway(room);
    expect(gw.presence.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe(nick);
    // The number is nowhere in the presence of an anonymous caller.
    if (nick === 'Anonymous') expect(gw.presence.toString()).not.toMatch(/4930777/);
    await h.focus.kick(room, gw.nick);
    await call.req.waitForResponse(603);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });
});
