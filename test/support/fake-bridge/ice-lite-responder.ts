import { randomBytes } from 'node:crypto';
import { classes, Message, methods, parseMessage } from 'werift';

export interface CheckSeen {
  from: { host: string; port: number };
  username: string;
  useCandidate: boolean;
  iceControlling: boolean;
}

/**
 * The ICE-lite half of the fake JVB (RFC 8445 §2.5): answers binding requests carrying its
 * credentials, never sends checks, and treats the pair a USE-CANDIDATE request came from as
 * selected. Built on werift's STUN codec and independent of the gateway's ICE code.
 */
export class IceLiteResponder {
  ufrag = randomIceString(4);
  pwd = randomIceString(22);
  /** Set false to play a bridge that stopped answering (consent tests). */
  answering = true;
  readonly checks: CheckSeen[] = [];
  nominated: { host: string; port: number } | undefined;

  constructor(private readonly send: (data: Buffer, to: { host: string; port: number }) => void) {}

  /** New credentials, as after an ICE restart; the old ones stop working at once. */
  renew(): void {
    this.ufrag = randomIceString(4);
    this.pwd = randomIceString(22);
    this.nominated = undefined;
  }

  handle(data: Buffer, from: { host: string; port: number }): void {
    const request = parseMessage(data, Buffer.from(this.pwd, 'utf8'));
    if (request === undefined || request.messageClass !== classes.REQUEST || request.messageMethod !== methods.BINDING) return;
    const username: unknown = request.getAttributeValue('USERNAME');
    if (typeof username !== 'string' || !username.startsWith(`${this.ufrag}:`)) return;
    const useCandidate = request.attributesKeys.includes('USE-CANDIDATE');
    this.checks.push({ from, username, useCandidate, iceControlling: request.attributesKeys.includes('ICE-CONTROLLING') });
    if (!this.answering) return;
    if (useCandidate) this.nominated = from;
    const response = new Message(methods.BINDING, classes.RESPONSE, request.transactionId)
      .setAttribute('XOR-MAPPED-ADDRESS', [from.host, from.port])
      .addMessageIntegrity(Buffer.from(this.pwd, 'utf8'))
      .addFingerprint();
    this.send(response.bytes, from);
  }
}

function randomIceString(length: number): string {
  return randomBytes(length).toString('base64url').slice(0, length).replace(/[-_]/g, 'x');
}
