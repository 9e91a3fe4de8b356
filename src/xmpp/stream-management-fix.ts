import type { Client, Element } from './connection.js';

const NS_SM = 'urn:xmpp:sm:3';

/**
 * Works around a race in @xmpp/client 0.14's XEP-0198 support. The count of handled stanzas
 * starts at `<enabled/>`, but the library zeroes its counter only when the promise waiting for
 * `<enabled/>` resumes. Stanzas in the same read as `<enabled/>` (a room's presence right after a
 * join) and an `<r/>` among them are handled first: the ack then carries the count of the previous
 * stream too, or the next one is lower than the last. Prosody's mod_smacks ends such a stream
 * ("Client acknowledged less/more stanzas than ..."). Here the counter is zeroed the moment
 * `<enabled/>` is parsed, and the library's late reset is ignored.
 */
export function fixStreamManagementCounter(xmpp: Client): void {
  const sm = xmpp.streamManagement as unknown as { inbound: number };
  let value = sm.inbound;
  let lateReset = false;
  xmpp.on('nonza', (el: Element) => {
    if (!el.is('enabled', NS_SM)) return;
    value = 0;
    lateReset = true;
  });
  xmpp.on('disconnect', () => {
    lateReset = false;
  });
  Object.defineProperty(sm, 'inbound', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (v: number) => {
      if (lateReset && v === 0) {
        lateReset = false;
        return;
      }
      value = v;
    },
  });
}
