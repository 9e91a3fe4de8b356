import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PromptInteraction } from '../../../../src/media/caller/caller-interaction.js';
import { DigitCollector } from '../../../../src/media/caller/digit-collector.js';
import { DigitSourceMerger } from '../../../../src/media/caller/digit-sources.js';
import { PromptCancelledError } from '../../../../src/media/caller/errors.js';
import { PromptPlayer } from '../../../../src/media/caller/prompt-player.js';

const opts = { maxDigits: 6, terminator: '#', firstDigitTimeoutMs: 3000, interDigitTimeoutMs: 2000 };

function setup(promptMs = 1000) {
  const frames: Int16Array[] = [];
  const pcm = new Int16Array((8000 * promptMs) / 1000).fill(1000);
  const player = new PromptPlayer(
    {
      get: (name) => {
        if (name !== 'enter-pin') throw new Error(`no prompt '${name}'`);
        return pcm;
      },
    },
    { sampleRate: 8000, sendPromptFrame: (f) => frames.push(Int16Array.from(f)) },
  );
  const collector = new DigitCollector();
  return { frames, player, collector, io: new PromptInteraction(player, collector) };
}

describe('prompt player and digit collector', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('plays a prompt in 20 ms frames, the last one padded, and resolves after it', async () => {
    const { frames, io } = setup(990);
    let done = false;
    const played = io.play('enter-pin').then(() => (done = true));
    await vi.advanceTimersByTimeAsync(500);
    expect(frames.length).toBeGreaterThanOrEqual(24);
    expect(frames.length).toBeLessThanOrEqual(26);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(600);
    await played;
    expect(frames).toHaveLength(50);
    expect(frames.every((f) => f.length === 160)).toBe(true);
    expect(frames.at(-1)!.subarray(80).every((s) => s === 0)).toBe(true);
  });

  it('collects up to the terminator, which the result leaves out', async () => {
    const { collector, io } = setup();
    const result = io.playAndCollect('enter-pin', opts);
    await vi.advanceTimersByTimeAsync(1100);
    for (const d of '1234#') collector.push(d);
    expect(await result).toBe('1234');
  });

  it('stops the prompt at the first digit', async () => {
    const { frames, collector, io } = setup(5000);
    const result = io.playAndCollect('enter-pin', opts);
    await vi.advanceTimersByTimeAsync(200);
    collector.push('7');
    const sentAtDigit = frames.length;
    await vi.advanceTimersByTimeAsync(500);
    expect(frames.length).toBe(sentAtDigit);
    collector.push('#');
    expect(await result).toBe('7');
  });

  it('ends at maxDigits', async () => {
    const { collector, io } = setup();
    const result = io.playAndCollect('enter-pin', { ...opts, maxDigits: 3 });
    for (const d of '98765') collector.push(d);
    expect(await result).toBe('987');
  });

  it("returns '' when no digit comes within the first-digit timeout counted from the prompt's end", async () => {
    const { io } = setup(1000);
    let outcome: string | undefined;
    const result = io.playAndCollect('enter-pin', opts).then((d) => (outcome = d));
    await vi.advanceTimersByTimeAsync(1000 + 2900);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(200);
    await result;
    expect(outcome).toBe('');
  });

  it('returns the digits typed so far after the inter-digit timeout', async () => {
    const { collector, io } = setup();
    const result = io.playAndCollect('enter-pin', opts);
    collector.push('4');
    await vi.advanceTimersByTimeAsync(1500);
    collector.push('2');
    await vi.advanceTimersByTimeAsync(2100);
    expect(await result).toBe('42');
  });

  it('rejects play and collection in progress with PromptCancelledError on close, and later ones too', async () => {
    const { player, collector, io } = setup(5000);
    const playing = io.play('enter-pin');
    const collecting = io.playAndCollect('enter-pin', opts);
    await expect(playing).rejects.toMatchObject({ reason: 'superseded' });
    player.close();
    collector.close();
    await expect(collecting).rejects.toBeInstanceOf(PromptCancelledError);
    await expect(collecting).rejects.toMatchObject({ reason: 'closed' });
    await expect(io.play('enter-pin')).rejects.toMatchObject({ reason: 'closed' });
    await expect(io.playAndCollect('enter-pin', opts)).rejects.toMatchObject({ reason: 'closed' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects an unknown prompt without leaving a collection behind', async () => {
    const { collector, io } = setup();
    // @ts-expect-error: a name outside PromptName, as a misconfiguration would produce
    await expect(io.playAndCollect('no-such-prompt', opts)).rejects.toThrow(/no prompt/);
    expect(collector.collecting).toBe(false);
  });

  it('ignores digits when nothing is being collected', () => {
    const collector = new DigitCollector();
    expect(collector.push('1')).toBe(false);
  });
});

describe('DigitSourceMerger', () => {
  it('takes the INFO copy of an RFC 4733 press as the same press', () => {
    const m = new DigitSourceMerger(500);
    expect(m.accept('5', 'rtp', 0)).toBe(true);
    expect(m.accept('5', 'info', 100)).toBe(false);
  });

  it('keeps genuine repeats by one way, and late or different digits by the other', () => {
    const m = new DigitSourceMerger(500);
    expect(m.accept('5', 'rtp', 0)).toBe(true);
    expect(m.accept('5', 'rtp', 150)).toBe(true);
    expect(m.accept('6', 'info', 200)).toBe(true);
    expect(m.accept('6', 'rtp', 900)).toBe(true);
    expect(m.accept('6', 'info', 2000)).toBe(true);
    expect(m.accept('6', 'rtp', 3000)).toBe(true);
    expect(m.accept('6', 'info', 3100)).toBe(false);
  });
});
