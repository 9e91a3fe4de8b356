import type { Logger } from '../log.js';
import type { CallMedia } from '../media/call-media.js';
import type { CallSignaling } from '../xmpp/call-signaling.js';
import type { BridgeSession } from './bridge-session.js';
import { Reasons } from './close-reason.js';
import type { CloseReason } from './registry.js';
import type { CallTimers } from './timers.js';

/** What a call lends to riding through an outage of its XMPP connection. */
export interface RideThroughCall {
  signaling: CallSignaling;
  bridge: BridgeSession;
  media: CallMedia;
  timers: CallTimers;
  log: Logger;
  /** XMPP_RECONNECT_WINDOW: from the drop to the focus' new session-initiate. */
  windowMs: number;
  /** False while the gateway shuts down: a lost connection then ends the call at once. */
  mayReconnect(): boolean;
  /** The phone leg is answered, so the caller can be told what is going on. */
  answered(): boolean;
  close(reason: CloseReason): void;
}

const WINDOW_TIMER = 'xmpp-reconnect';

/**
 * Keeps the phone call up while the call's conference session gets back after its connection
 * dropped (a Prosody restart): the caller hears the "reconnecting" prompt, the bridge side goes
 * down as after a session-terminate, and the focus' new session-initiate after the rejoin brings
 * it back through the usual resume path. Not back within the window: the call ends
 * (xmpp-reconnect-failed). A kick or a destroyed room still end it at once (their own events).
 */
export function rideThroughXmppOutages(c: RideThroughCall): void {
  const { conference, jingle } = c.signaling;
  let prompting = false;

  conference.on('reconnecting', ({ resumable }) => {
    if (!c.mayReconnect()) {
      c.log.info('xmpp connection lost while shutting down: not reconnecting');
      c.close(Reasons.xmppLost);
      return;
    }
    c.log.warn({ resumable, windowMs: c.windowMs }, 'xmpp connection lost; keeping the call while it reconnects');
    c.timers.set(WINDOW_TIMER, c.windowMs, () => c.close(Reasons.xmppReconnectFailed));
  });

  conference.on('roomLost', () => {
    // The Jingle session died with the stream. Suspending it like a session-terminate frees the
    // bridge side and lets the focus' next session-initiate reconnect it; the reconnect window,
    // already running, bounds that wait instead of the resume window.
    jingle.connectionLost();
    c.timers.clear('resume-window');
    // Not published while away: the rejoin presence carries it, "Connected" follows the new session.
    conference.setStatus('Reconnecting').catch(() => undefined);
    if (!c.answered()) return;
    prompting = true;
    c.media
      .play('reconnecting')
      .catch((err: unknown) => c.log.debug({ err }, 'reconnecting prompt not played'))
      .finally(() => {
        prompting = false;
      });
  });

  conference.on('reconnected', ({ resumed }) => {
    c.log.info({ resumed }, resumed ? 'xmpp stream resumed; call unaffected' : 'back in the room; waiting for the new session');
    if (resumed) c.timers.clear(WINDOW_TIMER);
  });

  jingle.on('initiate', () => c.timers.clear(WINDOW_TIMER));
  // The meeting is back: it replaces the rest of the prompt.
  c.bridge.on('connected', () => {
    if (prompting) c.media.stopPrompt();
  });

  conference.on('disconnected', ({ reason, detail }) => {
    if (reason === 'reconnect-failed') {
      c.log.warn({ detail }, 'xmpp reconnect failed');
      // The focus cannot be told: end the session locally so the teardown does not try.
      jingle.connectionLost();
      c.close(Reasons.xmppReconnectFailed);
      return;
    }
    c.close(Reasons.xmppLost);
  });
}
