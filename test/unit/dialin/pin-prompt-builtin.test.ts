import { describe, expect, it } from 'vitest';
import { DigitCollector } from '../../../src/media/caller/digit-collector.js';
import type { DigitCollectOptions } from '../../../src/media/media-vocabulary.js';
import type { PinLookup } from '../../../src/sip/pin/conference-mapper.js';
import { DEFAULT_PIN_PROMPT, runPinPrompt, type CallerInteraction, type PromptName } from '../../../src/sip/pin/pin-prompt.js';

const ROOM = 'weekly@muc.meet.jitsi';
const lookup: PinLookup = { pinLength: 8, roomForPin: async (pin) => (pin === '12345678' ? ROOM : undefined) };

/** A caller typing `inputs` through a real DigitCollector, one string per prompt. */
function caller(inputs: string[]): CallerInteraction & { played: PromptName[]; asked: DigitCollectOptions[] } {
  const played: PromptName[] = [];
  const asked: DigitCollectOptions[] = [];
  const collector = new DigitCollector();
  return {
    played,
    asked,
    play: async (p) => {
      played.push(p);
    },
    playAndCollect: async (p, opts) => {
      played.push(p);
      asked.push(opts);
      const handle = collector.begin(opts);
      handle.promptEnded();
      // Every key the caller presses, including a '#' after the last digit.
      for (const d of inputs.shift() ?? '') collector.push(d);
      return handle.result;
    },
  };
}

describe('the PIN prompt with the built-in mapper', () => {
  it('ends at the last digit of a fixed-length PIN, so # is optional', async () => {
    for (const typed of ['12345678', '12345678#']) {
      const io = caller([typed]);
      expect(await runPinPrompt(io, lookup)).toEqual({ kind: 'room', roomJid: ROOM, pin: '12345678' });
      expect(io.asked[0]?.maxDigits).toBe(8);
    }
    // An external mapper's PINs have no fixed length: '#' (or the pause) ends them.
    const external = caller(['4321#']);
    await runPinPrompt(external, { roomForPin: async () => ROOM });
    expect(external.asked[0]?.maxDigits).toBe(DEFAULT_PIN_PROMPT.maxDigits);
  });

  it('joins a one-tap PIN without playing anything, and asks again after a wrong one', async () => {
    const quiet = caller([]);
    expect(await runPinPrompt(quiet, lookup, DEFAULT_PIN_PROMPT, () => false, '12345678')).toMatchObject({ kind: 'room', roomJid: ROOM });
    expect(quiet.played).toEqual([]);

    const retry = caller(['12345678']);
    expect(await runPinPrompt(retry, lookup, DEFAULT_PIN_PROMPT, () => false, '99999999')).toMatchObject({ kind: 'room', roomJid: ROOM });
    expect(retry.played).toEqual(['wrong-pin']);
  });

  it('plays only its fixed prompts: nothing typed and no meeting name is read back', async () => {
    const io = caller(['11111111', '22222222', '33333333']);
    expect(await runPinPrompt(io, lookup)).toEqual({ kind: 'failed', reason: 'wrong-pin' });
    expect(io.played).toEqual(['enter-pin', 'wrong-pin', 'wrong-pin', 'goodbye']);
  });
});
