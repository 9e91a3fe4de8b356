import { normalizeNumber } from '../config/number-map.js';
import type { DialOutConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { XmppStanzaError, type Element } from '../xmpp/connection.js';
import { NS_RAYO, parseDial, refElement, type DialRequest } from '../xmpp/rayo/index.js';
import type { CallDeps } from './call-deps.js';
import { OutboundCall, type Dialler } from './outbound-call.js';

/** Where dial requests come from: the brewery control session (BreweryClient.onIq). */
export interface DialRequestSource {
  onIq(childName: string, xmlns: string, handler: (iq: Element) => Promise<Element>): void;
}

export interface DialOutServiceOptions {
  brewery: DialRequestSource;
  breweryRoomJid: string;
  rules: DialOutConfig;
  dialler: Dialler;
  /** How long the dial IQ waits for the room join before failing (Jicofo then tries elsewhere). */
  joinTimeoutMs: number;
  /** How long a failed call's reason stays shown in the meeting (default 5 s, as jigasi). */
  failureLingerMs?: number;
  deps: CallDeps;
  logger: Logger;
}

/**
 * Obeys Rayo `<dial>` requests that Jicofo forwards through the brewery: checks who asks, the
 * drain/capacity state and the guard rails, starts an OutboundCall and answers with its `ref`
 * once it is in the room. Refusals are IQ errors, so Jicofo can retry on another instance.
 */
export class DialOutService {
  readonly #calls = new Set<OutboundCall>();

  constructor(private readonly o: DialOutServiceOptions) {
    o.brewery.onIq('dial', NS_RAYO, (iq) => this.#onDial(iq));
  }

  get active(): number {
    return this.#calls.size;
  }

  async #onDial(iq: Element): Promise<Element> {
    const from = typeof iq.attrs['from'] === 'string' ? iq.attrs['from'] : '';
    const log = this.o.logger.child({ from });
    if (!this.#trustedSender(from)) {
      log.warn('dial request from outside the brewery focus refused');
      throw new XmppStanzaError('forbidden', 'auth', 'only the focus may request dial-out');
    }
    const dialEl = iq.getChild('dial', NS_RAYO);
    if (dialEl === undefined) throw new XmppStanzaError('bad-request', 'modify', 'no dial element');
    const dial = parseDial(dialEl);
    this.#checkAllowed(dial, log);

    const call = new OutboundCall(
      {
        dial,
        dialler: this.o.dialler,
        ringTimeoutMs: this.o.rules.ringTimeoutMs,
        ...(this.o.failureLingerMs !== undefined ? { failureLingerMs: this.o.failureLingerMs } : {}),
      },
      this.o.deps,
    );
    this.#calls.add(call);
    void call.run().finally(() => this.#calls.delete(call));
    // run() registers the call synchronously, so capacity holds for requests arriving meanwhile.
    log.info({ number: dial.to, room: dial.roomJid, callId: call.id }, 'dial-out accepted');

    let timer: NodeJS.Timeout | undefined;
    try {
      const occupant = await Promise.race([
        call.joined(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('room join timed out')), this.o.joinTimeoutMs);
        }),
      ]);
      return refElement(occupant);
    } catch (err) {
      log.warn({ err }, 'dial-out could not join the room');
      await call.close({ cls: 'upstream_error', cause: 'join-failed' });
      throw new XmppStanzaError('service-unavailable', 'wait', 'could not join the conference');
    } finally {
      clearTimeout(timer);
    }
  }

  #trustedSender(from: string): boolean {
    const slash = from.indexOf('/');
    if (slash < 0) return false;
    return from.slice(0, slash) === this.o.breweryRoomJid && this.o.rules.focusNicks.includes(from.slice(slash + 1));
  }

  #checkAllowed(dial: DialRequest, log: Logger): void {
    const admission = this.o.deps.registry.admission();
    if (admission.refused) {
      log.info({ reason: admission.reason }, 'dial-out refused');
      throw new XmppStanzaError('service-unavailable', 'wait', admission.reason === 'draining' ? 'gateway is shutting down' : 'gateway is full');
    }
    const number = normalizeNumber(dial.to);
    if (!this.o.rules.allowedNumbers.test(number)) {
      log.warn({ number: dial.to }, 'dial-out to a number outside the allowed pattern refused');
      throw new XmppStanzaError('not-allowed', 'cancel', 'this number may not be dialled');
    }
    const inRoom = [...this.#calls].filter((c) => c.targetRoom === dial.roomJid && c.phase !== 'closed').length;
    if (inRoom >= this.o.rules.maxPerRoom) {
      log.warn({ room: dial.roomJid, inRoom }, 'dial-out limit per meeting reached');
      throw new XmppStanzaError('resource-constraint', 'wait', 'too many phone calls from this meeting');
    }
  }
}
