/**
 * A blind transfer as a PBX does it, with real SIP peers on both ends: a sipp phone in a meeting
 * sends REFER, and a second sipp is the Refer-To target the gateway calls. The gateway's SIP side
 * is the drachtio double behind a UDP socket that relays the gateway's requests to the real peers
 * (so this runs in CI), and also a real drachtio-server (DRACHTIO_BIN), in direct media mode and
 * with FreeSWITCH (FREESWITCH_BIN).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { drachtioAvailable, sippAvailable } from '../support/drachtio-server.js';
import type { FakeBridgeEndpoint } from '../support/fake-bridge-audio.js';
import { FreeswitchServer, freeswitchAvailable } from '../support/freeswitch.js';
import type { CallScenarioOptions } from '../support/sipp-scenario.js';
import type { Gateway } from '../../src/app/gateway.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { RealStackHarness, SippCallee, type SippCall } from './real-stack-harness.js';
import { GatewayInstance, SharedJitsi } from './scale-out-harness.js';

const missing = [...(prosodyAvailable() ? [] : ['prosody']), ...(sippAvailable() ? [] : ['sipp'])];
if (missing.length > 0) console.log(`skipped: transfer with sipp phones (${missing.join(', ')} not available)`);
const available = missing.length === 0;
const realDrachtio = available && drachtioAvailable();
if (available && !realDrachtio) console.log('skipped: transfer with sipp phones through a real drachtio-server (DRACHTIO_BIN not available; run through the drachtio double)');
const realFreeswitch = realDrachtio && freeswitchAvailable();
if (realDrachtio && !realFreeswitch) console.log('skipped: transfer with sipp phones in MEDIA_MODE=freeswitch (FREESWITCH_BIN not available)');

const ROOM_TONE = 700;
const CALLER_TONE = 1700;
const TARGET_TONE = 1100;
/** Targets the policy lets through: the test's sipp callees on loopback, whatever their port. */
const POLICY = 'sip:(front-desk|busy)@127\\.0\\.0\\.1:\\d+';

/** What the suite needs of a gateway and its SIP side, whichever peers play them. */
interface TransferStack {
  readonly gateway: Gateway;
  newRoom(): Promise<string>;
  dial(phone: RtpPhone, o: Omit<CallScenarioOptions, 'sdp'>): Promise<SippCall>;
  offerConference(room: string, name: string, conf: FakeConference, endpoint: FakeBridgeEndpoint): Promise<string>;
  /** The focus's received stanzas. */
  readonly focusReceived: ReadonlyArray<{ attrs: Record<string, unknown> }>;
  diagnostics(): string;
  close(): Promise<void>;
}

async function doubleStack(real: boolean): Promise<TransferStack> {
  const jitsi = await SharedJitsi.start();
  const gw = await GatewayInstance.start(jitsi, 'transfer', { realDrachtio: real, relayRequests: true, env: { SIP_REFER_POLICY: POLICY } });
  return {
    gateway: gw.gateway,
    newRoom: () => jitsi.newRoom(),
    dial: (phone, o) => jitsi.dial(gw.sipTarget, phone, o),
    offerConference: (room, name, conf, endpoint) => jitsi.offerConference(room, name, conf, endpoint),
    get focusReceived() {
      return jitsi.focus.received;
    },
    diagnostics: () => `gateway warnings:\n${gw.recent.tail()}`,
    close: async () => {
      await gw.close();
      await jitsi.close();
    },
  };
}

async function freeswitchStack(): Promise<TransferStack> {
  const fs = await FreeswitchServer.start();
  const h = await RealStackHarness.start({ freeswitch: fs, env: { SIP_REFER_POLICY: POLICY } }).catch(async (err: unknown) => {
    await fs.stop();
    throw err;
  });
  return {
    gateway: h.gateway,
    newRoom: () => h.newRoom(),
    dial: (phone, o) => h.call(phone, o),
    offerConference: (room, name, conf, endpoint) => h.offerConference(room, name, conf, endpoint),
    get focusReceived() {
      return h.focus.received;
    },
    diagnostics: () => h.diagnostics(),
    close: async () => {
      await h.close();
      await fs.stop();
    },
  };
}

describe.skipIf(!available)('transfer (REFER) from a sipp phone, through the drachtio double', () => transferSuite(() => doubleStack(false)));
describe.skipIf(!realDrachtio)('transfer (REFER) from a sipp phone, through a real drachtio-server', () => transferSuite(() => doubleStack(true)));
describe.skipIf(!realFreeswitch)('transfer (REFER) from a sipp phone, real drachtio-server and FreeSWITCH', () => transferSuite(freeswitchStack));

function transferSuite(start: () => Promise<TransferStack>): void {
  let stack: TransferStack;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    stack = await start();
  }, 30_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await stack.gateway.registry.closeAll({ cls: 'normal', cause: 'test-cleanup' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function phone(): Promise<RtpPhone> {
    const p = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => p.close());
    return p;
  }

  async function callee(opts: { busy?: boolean } = {}): Promise<SippCallee> {
    const c = await SippCallee.start(await phone(), opts);
    cleanups.push(() => c.stop());
    return c;
  }

  /** A sipp phone in a meeting, talking; its scenario sends the REFER described by `refer`. */
  async function connectedCaller(refer: CallScenarioOptions['refer'], hangup: CallScenarioOptions['hangup']) {
    const room = await stack.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: ROOM_TONE }] });
    cleanups.push(() => conf.close());
    conf.start();
    const endpoint = await conf.addEndpoint();
    const caller = await phone();
    const name = 'Desk Phone';
    const sipp = await stack.dial(caller, { room, displayName: name, hangup, ...(refer === undefined ? {} : { refer }) });
    cleanups.push(async () => sipp.kill());
    const occupant = await stack.offerConference(room, name, conf, endpoint);
    await sipp.answered().catch(async (err: Error) => {
      throw new Error(`${err.message}\n${stack.diagnostics()}`);
    });
    caller.startTone(CALLER_TONE);
    await until(() => (endpoint.gateway()?.frames.length ?? 0) > 40, 10_000, 'the caller at the bridge');
    return { room, conf, endpoint, caller, sipp, occupant };
  }

  async function failureContext(sipp: SippCall): Promise<string> {
    return `sipp said:\n${sipp.output.slice(-1500)}\nphone's SIP trace:\n${await sipp.trace()}\n${stack.diagnostics()}`;
  }

  it('moves the participant to the target: 202, NOTIFY 100 then 200, BYE to the old leg, the target heard both ways', async () => {
    const target = await callee();
    const to = `sip:front-desk@127.0.0.1:${target.port}`;
    const { room, endpoint, caller, sipp, occupant } = await connectedCaller({ afterMs: 1000, to, expect: 'accepted' }, { by: 'gateway' });

    await target.invited(15_000);
    // The phone's scenario ends with the gateway's BYE to the old leg, after both NOTIFYs.
    const code = await sipp.done(30_000);
    expect(code, await failureContext(sipp)).toBe(0);
    // 100 Trying first and 200 OK last; the target's 180 Ringing may be reported in between.
    const notified = await sipp.transferNotifies();
    expect(notified[0]).toBe(100);
    expect(notified.at(-1)).toBe(200);
    expect(notified.slice(1, -1).every((s) => s > 100 && s < 200)).toBe(true);
    caller.stopAudio();

    // The same participant now carries the target's voice, both ways.
    target.phone.startTone(TARGET_TONE);
    const atBridge = endpoint.gateway()!;
    const mark = atBridge.frames.length;
    const heardFrom = target.phone.received.length;
    await until(() => atBridge.frames.length > mark + 75, 10_000, 'audio at the bridge after the transfer');
    expect(atBridge.tones([TARGET_TONE, CALLER_TONE], mark + 25)).toEqual([TARGET_TONE]);
    await until(() => target.phone.received.length > heardFrom + 50, 10_000, 'meeting audio at the target');
    expect(detectTones(target.phone.audio(heardFrom + 25), 8000, [ROOM_TONE, CALLER_TONE])).toEqual([ROOM_TONE]);
    const calls = stack.gateway.registry.all();
    expect(calls.map((c) => c.roomJid)).toEqual([room]);
    expect(stack.focusReceived.some((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable')).toBe(false);

    // Ending the meeting's side ends the target's call with a BYE.
    await stack.gateway.registry.closeAll({ cls: 'normal', cause: 'test-end' });
    await target.byeReceived(10_000);
  }, 60_000);

  it('refuses a Refer-To the policy does not allow with 403; the call goes on', async () => {
    const { endpoint, sipp } = await connectedCaller(
      { afterMs: 500, to: 'sip:stranger@127.0.0.1:5999', expect: 'refused', refusedWith: 403 },
      // Long enough for the second of audio checked below even when set-up took seconds.
      { by: 'caller', talkMs: 6000 },
    );
    const atBridge = endpoint.gateway()!;
    const mark = atBridge.frames.length;
    await until(() => atBridge.frames.length > mark + 50, 10_000, 'the caller still at the bridge');
    expect(atBridge.tones([CALLER_TONE], mark)).toEqual([CALLER_TONE]);
    expect(await sipp.done(30_000), await failureContext(sipp)).toBe(0);
    expect(await sipp.transferNotifies()).toEqual([]);
  }, 60_000);

  it('reports a busy target as NOTIFY 486; the phone stays in the meeting and hangs up normally', async () => {
    const target = await callee({ busy: true });
    const to = `sip:busy@127.0.0.1:${target.port}`;
    const { endpoint, caller, sipp } = await connectedCaller({ afterMs: 500, to, expect: 'accepted' }, { by: 'caller', talkMs: 6000 });
    await target.invited(15_000);
    await until(async () => (await sipp.transferNotifies()).includes(486), 15_000, 'the NOTIFY with the final status at the phone');
    expect(await sipp.transferNotifies()).toEqual([100, 486]);
    const atBridge = endpoint.gateway()!;
    const mark = atBridge.frames.length;
    const heardFrom = caller.received.length;
    await until(() => atBridge.frames.length > mark + 50 && caller.received.length > heardFrom + 50, 10_000, 'audio both ways after the failed transfer');
    expect(atBridge.tones([CALLER_TONE], mark)).toEqual([CALLER_TONE]);
    expect(detectTones(caller.audio(heardFrom + 10), 8000, [ROOM_TONE])).toEqual([ROOM_TONE]);
    expect(await sipp.done(30_000), await failureContext(sipp)).toBe(0);
  }, 60_000);
}
