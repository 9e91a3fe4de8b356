import type { Logger } from '../log.js';
import type { SrfSendOptions, SrfServerResponse } from './srf-types.js';

const RESPONSE_ACK_TIMEOUT_MS = 5000;

/**
 * Sends a response and reports whether drachtio-server accepted it. Never throws: a response
 * that can no longer be sent (CANCEL won the race, the drachtio connection is gone) is a normal
 * event in a gateway's life, not a reason to take down the caller of this function.
 */
export function respond(res: SrfServerResponse, status: number, opts: SrfSendOptions, log: Logger): Promise<boolean> {
  if (res.finalResponseSent) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    // srf never calls back when the drachtio connection drops before drachtio acknowledged.
    const timer = setTimeout(() => resolve(false), RESPONSE_ACK_TIMEOUT_MS);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      resolve(ok);
    };
    try {
      res.send(status, opts, (err) => {
        if (err) log.debug({ err: String(err), status }, 'SIP response not sent');
        done(!err);
      });
    } catch (err) {
      log.warn({ err, status }, 'SIP response could not be sent');
      done(false);
    }
  });
}
