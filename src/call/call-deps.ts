import type { TimeoutsConfig } from '../config/types.js';
import type { GatewayMetrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import type { MediaEngine } from '../media/call-media.js';
import type { PinLookup } from '../sip/pin/conference-mapper.js';
import type { CallSignaling } from '../xmpp/call-signaling.js';
import type { ConferenceSessionOptions } from '../xmpp/conference/index.js';
import type { CdrSink } from './cdr.js';
import type { TransferSettings } from './phone-transfer.js';
import type { CallRegistry } from './registry.js';

/** Conference-session settings shared by every call (the per-call ones are filled in by the call). */
export type SharedConferenceOptions = Omit<
  ConferenceSessionOptions,
  'roomJid' | 'roomPassword' | 'nick' | 'direction' | 'extraHeaders' | 'logger' | 'resource'
>;

/** Everything a call needs from the process, injected so tests can use fakes for any of it. */
export interface CallDeps {
  media: MediaEngine;
  registry: CallRegistry;
  createSignaling: (options: ConferenceSessionOptions, logger: Logger) => CallSignaling;
  conference: SharedConferenceOptions;
  timeouts: TimeoutsConfig;
  pinLookup: PinLookup | undefined;
  metrics: GatewayMetrics | undefined;
  /** How calls take a REFER from the phone's side; absent: a REFER gets 405. */
  transfer?: TransferSettings;
  /** Where each call's detail record goes when it ends. */
  cdr?: CdrSink;
  logger: Logger;
}
