import type { PinLookup } from './conference-mapper.js';

import type { CallerInteraction, DigitCollectOptions, PromptName } from '../../media/media-vocabulary.js';

export type { CallerInteraction, DigitCollectOptions, PromptName };

export type PinOutcome = { kind: 'room'; roomJid: string; pin: string } | { kind: 'failed'; reason: 'wrong-pin' | 'no-input' | 'lookup-error' };

export interface PinPromptOptions {
  attempts: number;
  maxDigits: number;
  firstDigitTimeoutMs: number;
  interDigitTimeoutMs: number;
}

export const DEFAULT_PIN_PROMPT: PinPromptOptions = { attempts: 3, maxDigits: 12, firstDigitTimeoutMs: 10_000, interDigitTimeoutMs: 5_000 };

/**
 * Asks for the meeting PIN up to `attempts` times. The caller hears a goodbye prompt before a
 * failure is returned; the SIP layer then hangs up. Only fixed prompts are played: nothing the
 * caller typed and no meeting name is ever read back.
 *
 * `givenPin` came with the call (one-tap dialling): it is tried first without any prompt and
 * counts as the first attempt, so a wrong one is answered with the wrong-PIN prompt.
 */
export async function runPinPrompt(
  io: CallerInteraction,
  lookup: PinLookup,
  opts: PinPromptOptions = DEFAULT_PIN_PROMPT,
  isCancelled: () => boolean = () => false,
  givenPin?: string,
): Promise<PinOutcome> {
  let lastReason: 'wrong-pin' | 'no-input' = 'no-input';
  // A fixed-length PIN ends itself: '#' is then optional (a '#' typed after it is ignored, as
  // digits are between collections).
  const maxDigits = lookup.pinLength ?? opts.maxDigits;
  for (let attempt = 0; attempt < opts.attempts && !isCancelled(); attempt++) {
    const digits =
      attempt === 0 && givenPin !== undefined
        ? givenPin
        : await io.playAndCollect(attempt === 0 ? 'enter-pin' : 'wrong-pin', {
            maxDigits,
            terminator: '#',
            firstDigitTimeoutMs: opts.firstDigitTimeoutMs,
            interDigitTimeoutMs: opts.interDigitTimeoutMs,
          });
    if (isCancelled()) break;
    const pin = digits.replace(/[#*]/g, '');
    if (pin === '') {
      lastReason = 'no-input';
      continue;
    }
    let room: string | undefined;
    try {
      room = await lookup.roomForPin(pin);
    } catch {
      await io.play('error').catch(() => undefined);
      return { kind: 'failed', reason: 'lookup-error' };
    }
    if (room !== undefined) return { kind: 'room', roomJid: room, pin };
    lastReason = 'wrong-pin';
  }
  if (!isCancelled()) await io.play('goodbye').catch(() => undefined);
  return { kind: 'failed', reason: lastReason };
}
