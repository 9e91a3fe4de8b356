import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../src/call/call-snapshot.js';
import { RtcpPeer } from '../support/rtcp-peer.js';
import type { CallDetailRecord } from '../../src/call/cdr.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

/** The engine sends its first sender report 1 s after the bridge connects, then every 5 s. */
const FIRST_RTT_WITHIN_MS = 1000 + 5000 + 4000;
/** How long JIGASI_JVB_TIMEOUT is set to below. */
const SESSION_INITIATE_MS = 2000;
/** Close is bounded at 1.8 s after the decision (call-base.ts TEARDOWN_DEADLINES_MS), plus a busy machine's slack. */
const CDR_WITHIN_MS = SESSION_INITIATE_MS + 1800 + 3000;

describe.skipIf(!available)('each call, visible: GET /calls, CDRs and metrics', () => {
  let h: GatewayHarness;
  let dir: string;
  let cdrFile: string;
  const logged: CallDetailRecord[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdr-e2e-'));
    cdrFile = join(dir, 'cdr.jsonl');
    // Only the CDR lines are kept from the gateway's log.
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        const text = chunk.toString();
        if (text.includes('"call detail record"')) logged.push((JSON.parse(text) as { cdr: CallDetailRecord }).cdr);
        cb();
      },
    });
    h = await GatewayHarness.start({ CDR_FILE: cdrFile, JIGASI_JVB_TIMEOUT: String(SESSION_INITIATE_MS) }, { logger: pino({ level: 'info' }, sink) });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function setup(): Promise<{ conf: FakeConference; ph: RtpPhone; room: string }> {
    const conf = new FakeConference({ speakers: [{ freqHz: 600 }, { freqHz: 900 }] });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(
      () => conf.close(),
      () => ph.close(),
    );
    return { conf, ph, room: await h.newRoom() };
  }

  async function calls(): Promise<CallSnapshot[]> {
    const res = await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/calls`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { calls: CallSnapshot[] }).calls;
  }

  /** The CDR of the call shown as `name`, once in the file; the log line must say the same. */
  async function cdrOf(name: string): Promise<CallDetailRecord> {
    let found: CallDetailRecord | undefined;
    await until(
      async () => {
        const text = await readFile(cdrFile, 'utf8').catch(() => '');
        found = text
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as CallDetailRecord)
          .find((r) => r.shownAs === name);
        return found !== undefined;
      },
      CDR_WITHIN_MS,
      `CDR of ${name}`,
    );
    expect(logged.filter((r) => r.shownAs === name)).toEqual([found]);
    return found!;
  }

  it('shows a lossy phone leg with its loss and a lower MOS than a clean one', async () => {
    const a = await setup();
    const b = await setup();
    b.ph.dropRatio = 0.05;
    const clean = await h.connectedCall(a.ph, a.room, a.conf, 'Clean Phone');
    const lossy = await h.connectedCall(b.ph, b.room, b.conf, 'Lossy Phone');
    // The clean phone also reports over RTCP, from a port of its own (the gateway learns it from
    // the first report: symmetric RTCP); the lossy one sends none, as many phones do.
    const rtcp = await RtcpPeer.ownSocket();
    cleanups.push(() => rtcp.close());
    const answer = clean.call.ok?.body ?? '';
    rtcp.sendTo('127.0.0.1', Number(/^a=rtcp:(\d+)/m.exec(answer)?.[1] ?? Number(/^m=audio (\d+)/m.exec(answer)![1]) + 1));
    rtcp.lostOfTheirs = 2;
    rtcp.sendEmptyReport();
    for (const x of [a, b]) {
      x.conf.start();
      x.ph.startTone(1700);
    }
    clean.endpoint.answerSenderReports(20);
    lossy.endpoint.answerSenderReports(20);
    const byName = (list: CallSnapshot[], name: string): CallSnapshot | undefined => list.find((c) => c.shownAs === name);
    let list: CallSnapshot[] = [];
    // 200 packets: every 20th dropped shows as 4.6 % to 5 % (a loss counts once a later packet came).
    await until(
      async () => {
        list = await calls();
        return [byName(list, 'Clean Phone'), byName(list, 'Lossy Phone')].every(
          (c) => c !== undefined && c.quality.phone.packetsReceived >= 200 && c.quality.bridge.rttMs !== null,
        ) && byName(list, 'Clean Phone')?.quality.phone.rttMs !== null;
      },
      FIRST_RTT_WITHIN_MS + 4000,
      'audio and a round trip on both calls',
    );
    const good = byName(list, 'Clean Phone')!;
    const bad = byName(list, 'Lossy Phone')!;
    expect(good).toMatchObject({
      direction: 'in',
      room: a.room,
      phase: 'connected',
      phoneNumber: `+1555${a.ph.port}`,
      calledNumber: '4000',
      codecs: { phone: 'PCMU', bridge: 'opus' },
      mediaMode: 'direct',
    });
    expect(good.mediaWorker === null).toBe(h.gateway.workers === undefined);
    expect(good.quality.phone.lossPct).toBe(0);
    expect(bad.quality.phone.lossPct).toBeGreaterThan(4);
    expect(bad.quality.phone.lossPct).toBeLessThan(6);
    expect(bad.quality.phoneToMeeting.lossPct).toBeGreaterThanOrEqual(bad.quality.phone.lossPct);
    expect(good.quality.bridge.rttMs).toBeGreaterThanOrEqual(0);
    expect(good.quality.bridge.rttMs).toBeLessThan(1000);
    expect(good.quality.meetingToPhone.packets).toBeGreaterThan(0);
    // The phone's reports: its round trip (added to the bridge's, end to end) and its loss of ours.
    expect(good.quality.phone.rttMs).toBeGreaterThanOrEqual(0);
    expect(good.quality.phone.rttMs).toBeLessThan(1000);
    expect(good.quality.phone.remotePacketsLost).toBe(2);
    expect(good.quality.meetingToPhone.rttMs).toBeCloseTo(good.quality.phone.rttMs! + good.quality.bridge.rttMs!, 0);
    expect(bad.quality.phone).toMatchObject({ rttMs: null, remoteLossPct: null });
    expect(good.quality.phoneToMeeting.mos).toBeGreaterThan(4);
    expect(bad.quality.phoneToMeeting.mos).toBeLessThan(good.quality.phoneToMeeting.mos! - 0.3);
    if (process.env['CALLS_SAMPLE'] !== undefined) console.log(JSON.stringify({ calls: list }, null, 2));

    expect(await clean.call.bye()).toBe(200);
    expect(await lossy.call.bye()).toBe(200);
    const cdr = await cdrOf('Clean Phone');
    expect(cdr).toMatchObject({ direction: 'in', room: a.room, endReason: 'caller-bye', endClass: 'normal', endedBy: 'phone', sipStatus: 200 });
    expect(cdr.answeredAt).not.toBeNull();
    expect(cdr.talkSeconds).toBeGreaterThan(0);
    expect(cdr.quality.rttAvgMs).not.toBeNull();
    expect(cdr.quality.phoneRttAvgMs).not.toBeNull();
    const lossyCdr = await cdrOf('Lossy Phone');
    expect(lossyCdr.quality.phoneToMeeting.lossPct).toBeGreaterThan(4);
    expect(lossyCdr.quality.phoneRttAvgMs).toBeNull();
    expect(lossyCdr.quality.phoneToMeeting.mos).toBeLessThan(cdr.quality.phoneToMeeting.mos! - 0.3);
    expect(b.ph.dropped).toBeGreaterThan(0);
  });

  it('records a kick as ended by the meeting', async () => {
    const { conf, ph, room } = await setup();
    const { call } = await h.connectedCall(ph, room, conf, 'Kicked Phone');
    const gw = await h.focus.waitForGateway(room);
    await h.focus.kick(room, gw.nick);
    const bye = await h.acceptBye();
    expect(bye.message.get('call-id')).toBe(call.ok?.get('call-id'));
    expect(await cdrOf('Kicked Phone')).toMatchObject({ endReason: 'kicked', endedBy: 'meeting', sipStatus: 200, sipCallId: call.ok?.get('call-id') });
  });

  it('records a call the meeting never offered media to as a timeout with its 480', async () => {
    const { ph, room } = await setup();
    const call = await h.dial(ph, room, 'Waiting Phone');
    expect((await call.req.waitForResponse(480, CDR_WITHIN_MS)).status).toBe(480);
    expect(await cdrOf('Waiting Phone')).toMatchObject({
      endReason: 'no-session-initiate',
      endClass: 'timeout',
      endedBy: 'gateway',
      sipStatus: 480,
      answeredAt: null,
      talkSeconds: 0,
    });
  });

  it('records a caller the room refuses with the refusal sent', async () => {
    const { ph, room } = await setup();
    await h.focus.ban(room, h.prosody.domain);
    const call = await h.dial(ph, room, 'Banned Phone');
    expect((await call.req.waitForResponse(403, CDR_WITHIN_MS)).status).toBe(403);
    expect(await cdrOf('Banned Phone')).toMatchObject({ endReason: 'banned', endClass: 'caller_error', endedBy: 'meeting', sipStatus: 403, answeredAt: null });
  });

  it('serves every metric the Grafana dashboard uses', async () => {
    // One whole call first, so that the series created at a call's end exist.
    const { conf, ph, room } = await setup();
    const { call } = await h.connectedCall(ph, room, conf, 'Dashboard Phone');
    conf.start();
    ph.startTone(1700);
    await until(async () => (await calls()).some((c) => c.shownAs === 'Dashboard Phone' && c.quality.phone.packetsReceived > 25), 5000, 'audio');
    expect(await call.bye()).toBe(200);
    await cdrOf('Dashboard Phone');

    const dashboard = await readFile(new URL('../../deploy/grafana/jitsi-sip-gateway.json', import.meta.url), 'utf8');
    const used = new Set(dashboard.match(/jitsi_sip_gateway_[a-z0-9_]+/g) ?? []);
    expect(used.size).toBeGreaterThan(10);
    const text = await (await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/metrics`)).text();
    const lines = text.split('\n');
    const sampled = new Set(lines.flatMap((l) => (l.startsWith('#') || l === '' ? [] : [/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? ''])));
    // A labelled counter shows no sample before its first event (a throttled INVITE): declared is enough.
    const declared = new Set(
      lines.flatMap((l) => {
        const m = /^# TYPE (\S+) (\S+)/.exec(l);
        if (m === null) return [];
        return m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_count`, `${m[1]}_sum`] : [m[1]!];
      }),
    );
    expect([...used].filter((name) => !sampled.has(name) && !declared.has(name))).toEqual([]);
    // What only a call's end creates is there as series, not just declared.
    for (const name of ['call_mos_bucket', 'media_loss_ratio_bucket', 'call_end_reasons_total', 'media_jitter_seconds_bucket', 'call_setup_seconds_bucket']) {
      expect(sampled.has(`jitsi_sip_gateway_${name}`), name).toBe(true);
    }
  });
});
