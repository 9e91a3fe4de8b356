/**
 * RFC 4733 digits the bridge forwards (DTMF typed in a web client travels on that participant's
 * audio SSRC), one receiver per SSRC because presses are told apart by RTP timestamp within a
 * stream. Every call whose transport receives the event reports it to its own caller, as the
 * JVB forwards the event to everyone.
 */
import { DtmfReceiver } from '../rtp/dtmf.js';

/** Jicofo offers telephone-event/8000 only. */
const EVENT_CLOCK_RATE = 8000;

export class BridgeRemoteEvents {
  readonly #receivers = new Map<number, DtmfReceiver>();
  readonly #onDigit: (digit: string) => void;
  digits = 0;

  constructor(onDigit: (digit: string) => void) {
    this.#onDigit = onDigit;
  }

  receive(ssrc: number, payload: Uint8Array, timestamp: number): void {
    let r = this.#receivers.get(ssrc);
    if (r === undefined) {
      r = new DtmfReceiver({ clockRate: EVENT_CLOCK_RATE });
      this.#receivers.set(ssrc, r);
    }
    const press = r.receive(payload, timestamp);
    if (press !== undefined) {
      this.digits++;
      this.#onDigit(press.digit);
    }
  }

  clear(): void {
    this.#receivers.clear();
  }
}
