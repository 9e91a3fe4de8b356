import type { AddressInfo } from 'node:net';
import type { Address, Transport } from 'werift';

/**
 * werift's DTLS speaks to a `Transport`; ours is the ICE-selected path on a socket that is shared
 * with STUN and SRTP. This adapter lets the demultiplexer push DTLS records in and sends records
 * out through whatever the owner says is the current path.
 */
export class DatagramDtlsTransport implements Transport {
  readonly type = 'udp';
  closed = false;
  /** Set by werift's DtlsSocket constructor; called for every DTLS datagram received. */
  onData: (data: Buffer, addr: Address) => void = () => {};

  constructor(
    readonly address: AddressInfo,
    private readonly sendDatagram: (data: Buffer) => void,
  ) {}

  /** Feeds one received DTLS datagram to the DTLS state machine. */
  deliver(data: Buffer, from: Address): void {
    if (!this.closed) this.onData(data, from);
  }

  send = async (data: Buffer): Promise<void> => {
    if (!this.closed) this.sendDatagram(data);
  };

  close = async (): Promise<void> => {
    this.closed = true;
  };
}
