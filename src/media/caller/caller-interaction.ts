/**
 * The prompt player and digit collector together as the PIN flow's CallerInteraction (the
 * direct-media counterpart of FreeSWITCH's play / playCollect).
 */
import type { CallerInteraction, DigitCollectOptions, PromptName } from '../media-vocabulary.js';
import type { DigitCollector } from './digit-collector.js';
import type { PromptPlayer } from './prompt-player.js';

export class PromptInteraction implements CallerInteraction {
  readonly #player: PromptPlayer;
  readonly #collector: DigitCollector;

  constructor(player: PromptPlayer, collector: DigitCollector) {
    this.#player = player;
    this.#collector = collector;
  }

  play(prompt: PromptName): Promise<void> {
    return this.#player.play(prompt);
  }

  /** The first digit stops the prompt; see DigitCollector for how collection ends. */
  async playAndCollect(prompt: PromptName, opts: DigitCollectOptions): Promise<string> {
    const handle = this.#collector.begin(opts, () => this.#player.stop());
    try {
      await this.#player.play(prompt);
    } catch (err) {
      handle.cancel(err instanceof Error ? err : new Error(String(err)));
      return handle.result;
    }
    handle.promptEnded();
    return handle.result;
  }
}
