import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallSnapshot } from '../../src/call/call-snapshot.js';
import { detectTones } from '../support/audio.js';
import { Baresip, baresipAvailable } from '../support/baresip.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { FreeswitchServer } from '../support/freeswitch.js';
import { realStackAvailability } from '../support/real-parts.js';
import { until } from '../support/until.js';
import { RealStackHarness } from './real-stack-harness.js';

/**
 * A real softphone (baresip) calling the gateway through a real drachtio-server, in direct media
 * mode and, with FREESWITCH_BIN, through a real FreeSWITCH. baresip cannot add a room header from
 * its console, so each test dials a number the gateway's number map sends to that test's room.
 */
const { direct: directAvailable, freeswitch: fsAvailable } = realStackAvailability('baresip call tests', [[baresipAvailable(), 'baresip (with ausine, sndfile, g711, opus, menu modules)']]);

const WEB_TONES = [600, 1300];
const PHONE_TONE = 1700;
/** Dialled number → room (bare name; the gateway adds the MUC domain). */
const ROOMS = { '4001': `baresip-opus-${process.pid}`, '4002': `baresip-pcmu-${process.pid}` };
/** How long both sides talk before the checks. */
const TALK_MS = 3000;

function callSuite(mode: 'direct' | 'freeswitch'): void {
  let h: RealStackHarness;
  let fs: FreeswitchServer | undefined;
  let mapDir = '';
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    mapDir = await mkdtemp(join(tmpdir(), 'baresip-map-'));
    const mapFile = join(mapDir, 'numbers.json');
    await writeFile(mapFile, JSON.stringify(ROOMS));
    if (mode === 'freeswitch') fs = await FreeswitchServer.start();
    h = await RealStackHarness.start({ ...(fs !== undefined ? { freeswitch: fs } : {}), env: { SIP_NUMBER_MAP_FILE: mapFile } });
  }, 60_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
    await fs?.stop();
    if (mapDir !== '') await rm(mapDir, { recursive: true, force: true });
  }, 30_000);

  /** Places a baresip call into the room of `number` and talks both ways for TALK_MS. */
  async function talk(number: keyof typeof ROOMS, name: string, codecs: Array<'opus' | 'g711'>) {
    const room = `${ROOMS[number]}@${h.prosody.mucDomain}`;
    await h.focus.hostRoom(room);
    const conf = new FakeConference({ speakers: WEB_TONES.map((freqHz) => ({ freqHz })), decodeRate: 16000 });
    cleanups.push(() => conf.close());
    const endpoint = await conf.addEndpoint();
    const phone = await Baresip.start({ displayName: name, toneHz: PHONE_TONE, codecs });
    cleanups.push(() => phone.stop());

    const t0 = Date.now();
    phone.dial(`sip:${number}@127.0.0.1:${h.drachtio.sipPort}`);
    const occupant = await h.offerConference(room, name, conf, endpoint);
    await endpoint.bridge.connected;
    await phone.waitFor(/Call established/, 15_000, `baresip's call answered\n${h.diagnostics()}`);
    const answeredMs = Date.now() - t0;
    conf.start();
    await until(() => (endpoint.gateway()?.packets ?? 0) > 50, 8000, `baresip's audio at the bridge\n${h.diagnostics()}`);
    await new Promise((r) => setTimeout(r, TALK_MS));
    expect(h.gateway.registry.size).toBe(1);
    // The first second holds codec start-up and the jitter buffer filling.
    expect(endpoint.gateway()?.tones([PHONE_TONE, 440, 2500], 50)).toEqual([PHONE_TONE]);
    return { room, occupant, phone, answeredMs };
  }

  /** What baresip heard in its last 2 s: the meeting's tones, not its own. */
  async function expectMeetingHeard(phone: Baresip): Promise<void> {
    const heard = await phone.heard();
    const tail = heard.samples.subarray(Math.max(0, heard.samples.length - 2 * heard.sampleRate));
    expect(tail.length).toBeGreaterThan(heard.sampleRate);
    expect(detectTones(tail, heard.sampleRate, [...WEB_TONES, PHONE_TONE, 2500])).toEqual(WEB_TONES);
  }

  it('carries a baresip call (Opus) both ways; baresip hangs up', async () => {
    const { phone, answeredMs } = await talk('4001', 'Baresip Opus', ['opus', 'g711']);
    expect(phone.output).toMatch(/audio: Set audio decoder: opus/i);
    const mark = phone.output.length;
    const t0 = Date.now();
    phone.hangup();
    await phone.waitFor(/terminated/, 8000, 'baresip hung up', mark);
    await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
    expect(h.gateway.media.activeCalls).toBe(0);
    console.log(`baresip ${mode}: answered in ${answeredMs} ms, closed ${Date.now() - t0} ms after hangup`);
    await expectMeetingHeard(phone);
  }, 60_000);

  it('carries a G.711 baresip call both ways; a kick sends baresip a BYE', async () => {
    const { room, occupant, phone } = await talk('4002', 'Baresip Pcmu', ['g711']);
    expect(phone.output).toMatch(/audio: Set audio decoder: PCMU/);
    const mark = phone.output.length;
    await h.focus.kick(room, occupant.slice(occupant.indexOf('/') + 1));
    await phone.waitFor(/terminated/, 8000, `BYE at baresip\n${h.diagnostics()}`, mark);
    await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
    expect(h.gateway.media.activeCalls).toBe(0);
    await expectMeetingHeard(phone);
  }, 60_000);

  it.skipIf(mode !== 'direct')("measures the round trip to baresip from its RTCP reports (GET /calls' phone leg)", async () => {
    const { phone } = await talk('4002', 'Baresip Rtcp', ['g711']);
    // baresip reports every few seconds; the first of ours answers its first, its next one carries the round trip.
    let q: CallSnapshot['quality'] | undefined;
    await until(
      async () => {
        const res = await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/calls`);
        q = ((await res.json()) as { calls: CallSnapshot[] }).calls[0]?.quality;
        return q !== undefined && q.phone.rttMs !== null;
      },
      20_000,
      `the phone's round trip\n${h.diagnostics()}`,
    );
    if (q === undefined) throw new Error('no call listed');
    expect(q.phone.rttMs!).toBeGreaterThanOrEqual(0);
    expect(q.phone.rttMs!).toBeLessThan(1000);
    expect(q.phone.remoteLossPct).toBe(0);
    expect(q.meetingToPhone.rttMs).not.toBeNull();
    console.log(`baresip ${mode}: round trip to the phone ${q.phone.rttMs} ms (bridge ${q.bridge.rttMs} ms)`);
    phone.hangup();
    await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
  }, 60_000);
}

describe.skipIf(!directAvailable)('baresip through a real drachtio-server, MEDIA_MODE=direct', () => callSuite('direct'));
describe.skipIf(!fsAvailable)('baresip through a real drachtio-server and FreeSWITCH, MEDIA_MODE=freeswitch', () => callSuite('freeswitch'));
