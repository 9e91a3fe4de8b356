/**
 * Keypad commands a caller can type during the meeting. `*6` toggles the caller's own mute, as
 * in most conference bridges: without it a phone muted by a moderator could never speak again,
 * since moderators can mute but not unmute a participant. A phone that signals a key both in
 * RTP and by SIP INFO counts as one press (DigitSourceMerger).
 */
import { DigitSourceMerger, type DigitSource } from '../media/caller/digit-sources.js';

export interface KeypadActions {
  toggleMute(): void;
}

/** Time allowed between `*` and the command digit. */
export const KEYPAD_WINDOW_MS = 3000;

export class KeypadCommands {
  readonly #merger = new DigitSourceMerger();
  #starAt: number | undefined;

  constructor(
    private readonly actions: KeypadActions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  press(digit: string, source: DigitSource): void {
    const t = this.now();
    if (!this.#merger.accept(digit, source, t)) return;
    if (digit === '*') {
      this.#starAt = t;
      return;
    }
    const starAt = this.#starAt;
    this.#starAt = undefined;
    if (starAt === undefined || t - starAt > KEYPAD_WINDOW_MS) return;
    if (digit === '6') this.actions.toggleMute();
  }
}
