/** Shared set-up for the caller endpoint's integration tests: an endpoint answering an RtpPhone. */
import { CallerEndpoint, type CallerEndpointOptions } from '../../src/media/caller/caller-endpoint.js';
import type { CodecName } from '../../src/media/codecs/index.js';
import { PortAllocator } from '../../src/media/port-allocator.js';
import { ToneGenerator } from './audio.js';
import { RtpPhone, type OfferOptions, type RtpPhoneOptions } from './rtp-phone.js';
import { pollUntil } from './until.js';

export const anyPort = new PortAllocator({ min: 0, max: 0 });

export type Cleanup = () => Promise<void> | void;

/** Collects teardown steps; run() executes them newest first. */
export class Cleanups {
  readonly #steps: Cleanup[] = [];
  add(step: Cleanup): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await step();
  }
}

export function sdpPort(sdp: string): number {
  const m = /^m=audio (\d+) /m.exec(sdp);
  if (!m) throw new Error('no m=audio line');
  return Number(m[1]);
}

export async function makeEndpoint(cleanups: Cleanups, options: Partial<CallerEndpointOptions> = {}): Promise<CallerEndpoint> {
  const ep = await CallerEndpoint.create({ bindAddress: '127.0.0.1', portAllocator: anyPort, ...options });
  cleanups.add(() => ep.close());
  return ep;
}

export async function makePhone(cleanups: Cleanups, options: RtpPhoneOptions | CodecName): Promise<RtpPhone> {
  const phone = await RtpPhone.create(typeof options === 'string' ? { codec: options } : options);
  cleanups.add(() => phone.close());
  return phone;
}

/** An endpoint that answered the phone's offer, and the phone aimed at it. */
export async function connectedPair(
  cleanups: Cleanups,
  phoneOptions: RtpPhoneOptions | CodecName,
  endpointOptions: Partial<CallerEndpointOptions> = {},
  offer: OfferOptions = {},
): Promise<{ ep: CallerEndpoint; phone: RtpPhone; answer: string }> {
  const phone = await makePhone(cleanups, phoneOptions);
  const ep = await makeEndpoint(cleanups, endpointOptions);
  const answer = ep.answer(phone.offer(offer));
  phone.sendTo('127.0.0.1', sdpPort(answer));
  return { ep, phone, answer };
}

/**
 * The phone talks until the endpoint has latched to it, then falls silent. On a machine running
 * many tests a stray stream (another test's phone still sending to a port the kernel has since
 * handed to this endpoint) can latch a silent call first; the signalled phone's own packets win
 * it back (latch.ts, rule 4). For tests in which only the endpoint sends.
 */
export async function latchedToPhone(ep: CallerEndpoint, phone: RtpPhone): Promise<void> {
  phone.startTone(1000);
  await until(() => ep.stats().latchedTo === `127.0.0.1:${phone.port}`, 2000, 'latched to the phone');
  phone.stopAudio();
}

/** Feeds the endpoint a tone through sendPcm every 20 ms, as the engine's clock would. */
export function driveTone(cleanups: Cleanups, ep: CallerEndpoint, freqHz: number, amplitude = 8000): () => void {
  const gen = new ToneGenerator(freqHz, ep.sampleRate, amplitude);
  const timer = setInterval(() => ep.sendPcm(gen.next(ep.frameSamples)), 20);
  const stop = (): void => clearInterval(timer);
  cleanups.add(stop);
  return stop;
}

/** Copies of every frame the endpoint delivers on its own clock. */
export function recordPcm(ep: CallerEndpoint): Int16Array[] {
  const frames: Int16Array[] = [];
  ep.onPcm((f) => frames.push(Int16Array.from(f)));
  return frames;
}

export function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `predicate` every 10 ms until true, or throws after `timeoutMs` of awake time (see support/until). */
export async function until(predicate: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  await pollUntil(predicate, timeoutMs, () => `timed out after ${timeoutMs} ms waiting for ${what}`);
}
