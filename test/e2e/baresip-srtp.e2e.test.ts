/**
 * A real SRTP phone: baresip (libsrtp through its srtp module) with mandatory SDES-SRTP, calling
 * over SIP over TLS through a real drachtio-server's TLS listener (a self-signed certificate made
 * for the run, which baresip trusts), into a gateway with CALLER_SRTP=required: in MEDIA_MODE=direct,
 * and with FREESWITCH_BIN in MEDIA_MODE=freeswitch, where FreeSWITCH does the phone's SRTP.
 * Audio both ways is checked by content, so both SRTP stacks must agree on every packet. A baresip
 * without SRTP gets 488.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { Baresip, baresipAvailable, baresipSrtpAvailable } from '../support/baresip.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { FreeswitchServer } from '../support/freeswitch.js';
import { realStackAvailability } from '../support/real-parts.js';
import { opensslAvailable, selfSignedCertificate } from '../support/tls-cert.js';
import { until } from '../support/until.js';
import { RealStackHarness } from './real-stack-harness.js';

const { direct: available, freeswitch: fsAvailable } = realStackAvailability('baresip SRTP over TLS', [
  [baresipAvailable() && baresipSrtpAvailable(), 'baresip (with its srtp module)'],
  [opensslAvailable(), 'openssl'],
]);

const WEB_TONES = [600, 1300];
const PHONE_TONE = 1700;
const ROOMS = { '4011': `srtp-g711-${process.pid}`, '4012': `srtp-opus-${process.pid}`, '4013': `srtp-plain-${process.pid}` };
const TALK_MS = 3000;

function srtpSuite(mode: 'direct' | 'freeswitch'): void {
  let h: RealStackHarness;
  let fs: FreeswitchServer | undefined;
  let dir = '';
  let caFile = '';
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baresip-srtp-'));
    const cert = selfSignedCertificate(dir);
    caFile = cert.certFile;
    const mapFile = join(dir, 'numbers.json');
    await writeFile(mapFile, JSON.stringify(ROOMS));
    if (mode === 'freeswitch') fs = await FreeswitchServer.start();
    h = await RealStackHarness.start({
      drachtioTls: cert,
      ...(fs !== undefined ? { freeswitch: fs } : {}),
      env: { SIP_NUMBER_MAP_FILE: mapFile, CALLER_SRTP: 'required' },
    });
  }, 60_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
    await fs?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it.each([
    ['4011', 'G.711', ['g711']],
    ['4012', 'Opus', ['opus', 'g711']],
  ] as const)('carries an SRTP call (%s, %s) both ways over TLS', async (number, _codec, codecs) => {
    const room = `${ROOMS[number]}@${h.prosody.mucDomain}`;
    const name = `Srtp ${number}`;
    await h.focus.hostRoom(room);
    const conf = new FakeConference({ speakers: WEB_TONES.map((freqHz) => ({ freqHz })), decodeRate: 16000 });
    cleanups.push(() => conf.close());
    const endpoint = await conf.addEndpoint();
    const phone = await Baresip.start({ displayName: name, toneHz: PHONE_TONE, codecs: [...codecs], mediaenc: 'srtp-mand', tlsCaFile: caFile });
    cleanups.push(() => phone.stop());

    phone.dial(`sip:${number}@127.0.0.1:${h.drachtio.tlsPort};transport=tls`);
    await h.offerConference(room, name, conf, endpoint).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: the call never reached the room\n${h.diagnostics()}\n--- baresip ---\n${phone.output.slice(-1500)}`);
    });
    await endpoint.bridge.connected;
    await phone.waitFor(/Call established/, 15_000, `baresip's call answered\n${h.diagnostics()}`);
    expect(phone.output).toMatch(/SRTP is Enabled \(cryptosuite=AES_CM_128_HMAC_SHA1_(80|32)\)/);
    conf.start();
    await until(() => (endpoint.gateway()?.packets ?? 0) > 50, 8000, `baresip's audio at the bridge\n${h.diagnostics()}`);
    await new Promise((r) => setTimeout(r, TALK_MS));
    expect(endpoint.gateway()?.tones([PHONE_TONE, 440, 2500], 50)).toEqual([PHONE_TONE]);
    if (mode === 'direct') {
      const shot = h.gateway.registry.all()[0]!.snapshot();
      expect(shot.phoneSrtp).toMatch(/^AES_CM_128_HMAC_SHA1_(80|32)$/);
      // libsrtp's packets all authenticate here.
      expect(shot.quality.phone.packetsReceived).toBeGreaterThan(100);
      // So do its SRTCP reports, and it reads ours: their answers give the round trip.
      await until(() => h.gateway.registry.all()[0]?.snapshot().quality.phone.rttMs != null, 20_000, `a round trip over SRTCP\n${h.diagnostics()}`);
      expect(h.gateway.registry.all()[0]!.snapshot().quality.phone.rttMs).toBeLessThan(1000);
    }

    const mark = phone.output.length;
    phone.hangup();
    await phone.waitFor(/terminated/, 8000, 'baresip hung up', mark);
    await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
    const heard = await phone.heard();
    const tail = heard.samples.subarray(Math.max(0, heard.samples.length - 2 * heard.sampleRate));
    expect(tail.length).toBeGreaterThan(heard.sampleRate);
    expect(detectTones(tail, heard.sampleRate, [...WEB_TONES, PHONE_TONE, 2500])).toEqual(WEB_TONES);
  }, 60_000);

  it('refuses a phone without SRTP with 488', async () => {
    const phone = await Baresip.start({ displayName: 'Plain Phone', toneHz: PHONE_TONE, codecs: ['g711'], tlsCaFile: caFile });
    cleanups.push(() => phone.stop());
    phone.dial(`sip:4013@127.0.0.1:${h.drachtio.tlsPort};transport=tls`);
    await phone.waitFor(/488/, 15_000, `488 at baresip\n${h.diagnostics()}`);
    expect(h.gateway.registry.stats().totalCalls).toBe(2);
  }, 30_000);
}

describe.skipIf(!available)('baresip with mandatory SRTP over TLS, CALLER_SRTP=required, MEDIA_MODE=direct', () => srtpSuite('direct'));
describe.skipIf(!fsAvailable)('baresip with mandatory SRTP over TLS, CALLER_SRTP=required, MEDIA_MODE=freeswitch', () => srtpSuite('freeswitch'));
