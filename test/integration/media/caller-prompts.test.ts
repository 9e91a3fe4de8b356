import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PromptCancelledError } from '../../../src/media/caller/errors.js';
import { PromptStore } from '../../../src/media/prompts/prompt-store.js';
import { alignedSnrDb, meanSquare, tone } from '../../support/audio.js';
import { Cleanups, connectedPair, latchedToPhone, sleep, until } from '../../support/caller-endpoint-harness.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const shipped = PromptStore.load(join(import.meta.dirname, '../../../prompts'));

/** A store whose 'enter-pin' is a short tone, for tests that wait for the prompt to end. */
function shortPrompts(ms: number): PromptStore {
  const store = new PromptStore();
  store.add('enter-pin', { sampleRate: 16000, samples: tone(500, 16000, (16000 * ms) / 1000, 6000) });
  return store;
}

const collectOpts = { maxDigits: 8, terminator: '#', firstDigitTimeoutMs: 400, interDigitTimeoutMs: 1000 };

describe('CallerEndpoint prompts', () => {
  it.each([
    ['PCMU', 8000],
    ['G722', 16000],
  ] as const)('%s: the shipped prompt reaches the phone as speech at %i Hz, paced in real time, until close()', async (codec, rate) => {
    const { ep, phone } = await connectedPair(cleanups, codec, { prompts: shipped });
    await latchedToPhone(ep, phone);
    const started = performance.now();
    const playing = ep.play('enter-pin');
    const outcome = playing.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await sleep(600);
    await ep.close();
    const elapsed = performance.now() - started;
    expect(await outcome).toBeInstanceOf(PromptCancelledError);
    expect(await outcome).toMatchObject({ reason: 'closed' });

    await sleep(40); // the last packets in flight
    // Real-time pacing: one packet per 20 ms at most, not the whole 5 s prompt at once. Fewer when
    // the machine stalls the process: the endpoint's clock drops what a stall cost rather than
    // bursting it (frame-clock.ts).
    const packets = phone.received.length;
    expect(packets).toBeGreaterThanOrEqual(Math.floor(elapsed / 20 / 3));
    expect(packets).toBeLessThanOrEqual(Math.ceil(elapsed / 20) + 2);
    const heard = phone.audio();
    expect(heard.length).toBe(packets * (rate / 50));
    expect(Math.sqrt(meanSquare(heard))).toBeGreaterThan(500);
    // The very samples of the prompt at the codec's rate (a wrong rate would not line up).
    const reference = shipped.get('enter-pin', rate);
    const { snrDb } = alignedSnrDb(reference, heard, 40, 0, heard.length - 40);
    expect(snrDb).toBeGreaterThan(codec === 'PCMU' ? 30 : 20);

    await sleep(100);
    expect(phone.received.length).toBe(packets); // nothing after close
  });

  it("collects '1234' when the phone keys 1234# during the prompt, and the prompt stops at the first digit", async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU', { prompts: shipped });
    const result = ep.playAndCollect('enter-pin', collectOpts);
    await phone.waitForPackets(10);
    await phone.sendDigits('1', 60);
    await until(() => ep.stats().dtmfIn === 1, 1000, 'first digit');
    await sleep(60);
    const afterFirst = phone.received.length;
    await phone.sendDigits('234#', 60);
    expect(await result).toBe('1234');
    await sleep(100);
    expect(phone.received.length).toBe(afterFirst); // the prompt was cut at the first digit
  });

  it("returns '' when the caller keys nothing after the prompt", async () => {
    const { ep, phone } = await connectedPair(cleanups, 'G722', { prompts: shortPrompts(200) });
    const started = performance.now();
    expect(await ep.playAndCollect('enter-pin', collectOpts)).toBe('');
    // The first-digit timeout ran after the 200 ms prompt.
    expect(performance.now() - started).toBeGreaterThanOrEqual(200 + 400 - 30);
    expect(phone.received.length).toBeGreaterThanOrEqual(8);
  });

  it('takes digits the SIP layer pushes from INFO, and ignores the RFC 4733 copy of the same press', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMA', { prompts: shortPrompts(200) });
    const result = ep.playAndCollect('enter-pin', collectOpts);
    await phone.sendDigits('9', 60);
    ep.pushDigit('9'); // the same press, also signalled by INFO
    ep.pushDigit('8');
    ep.pushDigit('#');
    expect(await result).toBe('98');
  });

  it('rejects a collection in progress when the endpoint closes', async () => {
    const { ep } = await connectedPair(cleanups, 'PCMU', { prompts: shipped });
    const result = ep.playAndCollect('enter-pin', collectOpts);
    await sleep(100);
    await ep.close();
    await expect(result).rejects.toMatchObject({ name: 'PromptCancelledError', reason: 'closed' });
    await expect(ep.play('goodbye')).rejects.toBeInstanceOf(PromptCancelledError);
  });

  it('gives the prompt the line: engine frames sent meanwhile are dropped', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU', { prompts: shortPrompts(200) });
    await latchedToPhone(ep, phone);
    const playing = ep.play('enter-pin');
    const noise = new Int16Array(160).fill(20000);
    const timer = setInterval(() => ep.sendPcm(noise), 20);
    cleanups.add(() => clearInterval(timer));
    await playing;
    const duringPrompt = phone.received.length;
    clearInterval(timer);
    expect(duringPrompt).toBeGreaterThanOrEqual(8);
    expect(duringPrompt).toBeLessThanOrEqual(12);
  });
});
