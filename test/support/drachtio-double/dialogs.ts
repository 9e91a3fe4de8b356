import type { AppConnection } from './app-connection.js';

/**
 * What drachtio-server remembers about a SIP dialog so it can route in-dialog requests both
 * ways. Its id follows drachtio's convention: `<Call-ID>;from-tag=<From tag of the INVITE>`
 * (the caller's tag: the remote tag for a UAS dialog, our own for a UAC dialog).
 */
export interface DialogRecord {
  readonly id: string;
  readonly callId: string;
  readonly role: 'uas' | 'uac';
  readonly localTag: string;
  remoteTag: string | undefined;
  /** Our From/To name-addr, with our tag. */
  local: string;
  /** The peer's name-addr, with its tag once known. */
  remote: string;
  localContact: string;
  /** The peer's Contact URI: where in-dialog requests go. */
  remoteTarget: string;
  localCseq: number;
  /** CSeq number of the last INVITE we sent whose 2xx still needs an ACK. */
  ackCseq: number | undefined;
  /** Final status of the dialog-forming INVITE (0 while it is pending). */
  status: number;
  readonly conn: AppConnection;
  /** The peer's network address. */
  peer: { address: string; port: number };
}

export function dialogIdFor(callId: string, inviteFromTag: string): string {
  return `${callId};from-tag=${inviteFromTag}`;
}

export class DialogTable {
  readonly #byId = new Map<string, DialogRecord>();

  add(d: DialogRecord): void {
    this.#byId.set(d.id, d);
  }

  get(id: string): DialogRecord | undefined {
    return this.#byId.get(id);
  }

  delete(id: string): void {
    this.#byId.delete(id);
  }

  /** The dialog a request from the network belongs to, by Call-ID and the pair of tags. */
  matchNetworkRequest(callId: string, fromTag: string | undefined, toTag: string | undefined): DialogRecord | undefined {
    for (const d of this.#byId.values()) {
      if (d.callId === callId && d.localTag === toTag && d.remoteTag === fromTag) return d;
    }
    return undefined;
  }

  byCallId(callId: string): DialogRecord | undefined {
    for (const d of this.#byId.values()) if (d.callId === callId) return d;
    return undefined;
  }

  dropConnection(conn: AppConnection): void {
    for (const [id, d] of this.#byId) if (d.conn === conn) this.#byId.delete(id);
  }

  get size(): number {
    return this.#byId.size;
  }
}
