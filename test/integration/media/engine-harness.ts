/**
 * Wiring for the media engine's integration tests: a real MediaEngine on 127.0.0.1, test phones
 * (RtpPhone, plain RTP) on the caller side and a FakeConference (ICE-lite, DTLS, SRTP, Opus) on
 * the bridge side, connected as the call layer would connect them.
 */
import { MediaEngine, type MediaEngineOptions } from '../../../src/media/engine/index.js';
import type { EngineCallMedia } from '../../../src/media/engine/index.js';
import type { CodecName } from '../../../src/media/codecs/index.js';
import { FAKE_NEGOTIATED_AUDIO, type FakeBridgeEndpoint, type FakeConference } from '../../support/fake-bridge-audio.js';
import { RtpPhone } from '../../support/rtp-phone.js';
import { pollUntil } from '../../support/until.js';
import { afterEach } from 'vitest';

export const ROOM = 'room1@conference.meet.jitsi';

export function testEngine(overrides: Partial<MediaEngineOptions> = {}): MediaEngine {
  return new MediaEngine({
    bindAddress: '127.0.0.1',
    portRange: { min: 0, max: 0 },
    timeouts: { bridgeMediaMs: 0, callerMediaMs: 0 },
    ...overrides,
  });
}

export interface TestCall {
  call: EngineCallMedia;
  phone: RtpPhone;
  endpoint: FakeBridgeEndpoint;
}

/** A phone answered by a new call, whose bridge side is connected to a new endpoint of `conf`. */
export async function connectCall(
  engine: MediaEngine,
  conf: FakeConference,
  opts: { codec?: CodecName; room?: string; callId?: string; noiseSuppression?: boolean } = {},
): Promise<TestCall> {
  const phone = await RtpPhone.create({ codec: opts.codec ?? 'PCMU' });
  const call = await engine.createCallMedia({
    callId: opts.callId ?? `call-${phone.port}`,
    ...(opts.noiseSuppression !== undefined ? { noiseSuppression: opts.noiseSuppression } : {}),
  });
  answerPhone(call, phone);
  const endpoint = await conf.addEndpoint();
  await call.connectBridge(opts.room ?? ROOM, endpoint.bridge.remoteParameters(), FAKE_NEGOTIATED_AUDIO, conf.sources());
  await endpoint.bridge.connected;
  return { call, phone, endpoint };
}

/** Offer from the phone, answer from the call; the phone sends where the answer says. */
export function answerPhone(call: EngineCallMedia, phone: RtpPhone, direction?: 'sendrecv' | 'sendonly'): string {
  const answer = call.answerCaller(phone.offer(direction === undefined ? {} : { direction }));
  const port = /^m=audio (\d+) /m.exec(answer)?.[1];
  if (port === undefined) throw new Error(`no m=audio port in the answer:\n${answer}`);
  phone.sendTo('127.0.0.1', Number(port));
  return answer;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; throws after `timeoutMs` of awake time (see support/until). */
export async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  await pollUntil(check, timeoutMs, () => `timed out waiting for ${what}`);
}

/** Closes whatever a test opened, in an order that never leaves a sender without its receiver. */
export async function closeAll(engine: MediaEngine | undefined, conf: FakeConference | undefined, phones: RtpPhone[]): Promise<void> {
  conf?.stop();
  for (const p of phones) p.stopAudio();
  await engine?.close();
  await Promise.all(phones.map((p) => p.close()));
  await conf?.close();
}

/** What one test of an engine file sets up; afterEach (registered by useEngineFixture) closes it. */
export interface EngineFixture {
  engine: MediaEngine | undefined;
  conf: FakeConference | undefined;
  phones: RtpPhone[];
}

/** The engine, conference and phones of the current test, closed after each test. */
export function useEngineFixture(): EngineFixture {
  const f: EngineFixture = { engine: undefined, conf: undefined, phones: [] };
  afterEach(async () => {
    await closeAll(f.engine, f.conf, f.phones);
    f.engine = undefined;
    f.conf = undefined;
    f.phones = [];
  });
  return f;
}
