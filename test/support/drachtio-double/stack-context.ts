import type { SipMessage } from '../sip-messages.js';
import type { AppConnection } from './app-connection.js';
import { DialogTable } from './dialogs.js';
import { Mailbox } from './mailbox.js';
import type { SipMeta } from './wire.js';

/** A request the app asked the emulated stack to send, as it went on the wire. */
export interface CapturedRequest {
  readonly method: string;
  readonly uri: string;
  /** The request as the stack completed it (Via, tags, Call-ID, CSeq, Contact, Content-Length…). */
  readonly message: SipMessage;
  /** What srf sent over the drachtio protocol; undefined for requests the stack made itself. */
  readonly fromApp: SipMessage | undefined;
  readonly transactionId: string;
  /** drachtio dialog id the request belongs to; '' outside a dialog. */
  readonly dialogId: string;
  /** 'stack' for what drachtio-server sends on its own (ACK for a failure response). */
  readonly origin: 'app' | 'stack';
  readonly destination: { readonly address: string; readonly port: number };
}

/** A request sent by the app and not yet finally answered by the test. */
export interface ClientTxn {
  readonly id: string;
  readonly request: SipMessage;
  readonly conn: AppConnection;
  readonly dialogId: string;
  readonly destination: { address: string; port: number };
  /** To tag the test's responses carry (one per transaction, like a real UAS). */
  readonly toTag: string;
  /** sofia keeps the 200 to a CANCEL to itself. */
  readonly passResponsesUp: boolean;
  finalStatus: number | undefined;
}

export interface StackConfig {
  /** The SIP address drachtio-server claims to listen on (nothing binds it). */
  sipAddress: string;
  sipPort: number;
}

/** State shared by the two directions of the emulated SIP stack. */
export class StackContext {
  readonly dialogs = new DialogTable();
  readonly clientTxns = new Map<string, ClientTxn>();
  readonly captured = new Mailbox<CapturedRequest>();

  constructor(
    readonly config: StackConfig,
    readonly connections: () => Iterable<AppConnection>,
  ) {}

  get hostport(): string {
    return `${this.config.sipAddress}:${this.config.sipPort}`;
  }

  /** The Contact drachtio-server puts on what it sends when the app gave none. */
  get contact(): string {
    return `<sip:${this.hostport}>`;
  }

  /** Meta for messages the stack sent on the app's behalf (its own transport address). */
  appMeta(): SipMeta {
    return { source: 'application', protocol: 'udp', address: this.config.sipAddress, port: this.config.sipPort };
  }
}

/** Headers the stack owns on what it sends; app-supplied values for these are handled explicitly. */
export const STACK_HEADERS = new Set(['via', 'max-forwards', 'from', 'to', 'call-id', 'cseq', 'content-length']);
