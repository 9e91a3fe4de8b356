import type { AddressInfo } from 'node:net';
import { DtlsClient, type Address } from 'werift';
import type { Logger } from '../../log.js';
import type { DtlsCertificate } from './certificate.js';
import { certificateFingerprint, matchesFingerprint } from './certificate.js';
import { DatagramDtlsTransport } from './dtls-transport-adapter.js';
import { BridgeTransportError } from './errors.js';
import { checkServerKeyExchange } from './server-key-exchange.js';
import { profileById, SRTP_PROFILES, type SrtpMasterKeys } from './srtp/profiles.js';
import type { FingerprintLike, SrtpProfileName } from './types.js';

export interface DtlsClientSessionOptions {
  certificate: DtlsCertificate;
  /** Offered in this order of preference. */
  profiles: readonly SrtpProfileName[];
  localAddress: AddressInfo;
  /** Sends one DTLS datagram on the current ICE path. */
  send(data: Buffer): void;
  /** Called once if the peer ends the association (alert) after the handshake. */
  onPeerClosed(): void;
  logger: Logger;
}

export interface DtlsHandshakeResult {
  profile: SrtpProfileName;
  keys: SrtpMasterKeys;
  /** SHA-256 fingerprint of the certificate the peer presented. */
  remoteFingerprint: string;
  /** The peer's certificate (DER). */
  remoteCertificate: Buffer;
}

/**
 * The DTLS client (setup=active) side of DTLS-SRTP: werift's DtlsClient does the record layer and
 * handshake; this class adds what it leaves out for us — checking the peer's certificate against
 * the signalled fingerprint and the ServerKeyExchange signature against that certificate — and
 * turns the outcome into SRTP keys or a BridgeTransportError.
 */
export class DtlsClientSession {
  readonly #transport: DatagramDtlsTransport;
  readonly #client: DtlsClient;
  readonly #log: Logger;
  #handshakeDone = false;
  #closed = false;
  /** Rejects the handshake in progress, if any. */
  #abort: ((err: BridgeTransportError) => void) | undefined;

  constructor(private readonly options: DtlsClientSessionOptions) {
    this.#log = options.logger;
    this.#transport = new DatagramDtlsTransport(options.localAddress, options.send);
    this.#client = new DtlsClient({
      transport: this.#transport,
      cert: options.certificate.certPem,
      key: options.certificate.keyPem,
      signatureHash: options.certificate.signatureHash,
      srtpProfiles: options.profiles.map((p) => SRTP_PROFILES[p].id as 1 | 7),
      extendedMasterSecret: true,
    });
  }

  /** Feeds a DTLS datagram received from the selected remote address. */
  handleDatagram(data: Buffer, from: Address): void {
    try {
      this.#transport.deliver(data, from);
    } catch (err) {
      // werift reads record headers without bounds checks (a datagram shorter than 13 bytes
      // throws a RangeError); thrown from the socket's message handler, that ended the process.
      this.#log.debug({ err, bytes: data.length }, 'dropped a malformed DTLS datagram');
    }
  }

  /**
   * Runs the handshake; resolves with the SRTP keys once the peer is authenticated. Rejects with
   * 'fingerprint-mismatch', 'dtls-timeout', 'dtls-failed' or 'no-srtp-profile'.
   */
  handshake(remoteFingerprints: readonly FingerprintLike[], timeoutMs: number): Promise<DtlsHandshakeResult> {
    return new Promise<DtlsHandshakeResult>((resolve, reject) => {
      let settled = false;
      const settle = (err: BridgeTransportError | undefined, result?: DtlsHandshakeResult): void => {
        if (settled) return;
        settled = true;
        this.#abort = undefined;
        clearTimeout(timer);
        if (err !== undefined) {
          this.close();
          reject(err);
        } else if (result !== undefined) {
          resolve(result);
        }
      };
      if (this.#closed) {
        reject(new BridgeTransportError('closed', 'DTLS session closed'));
        return;
      }
      const timer = setTimeout(
        () => settle(new BridgeTransportError('dtls-timeout', `DTLS handshake did not complete within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#abort = (err) => settle(err);
      this.#client.onConnect.once(() => {
        try {
          settle(undefined, this.#authenticate(remoteFingerprints));
        } catch (err) {
          settle(asBridgeError(err));
        }
      });
      this.#client.onError.once((err: Error) => {
        settle(new BridgeTransportError('dtls-failed', `DTLS handshake failed: ${err.message}`, { cause: err }));
      });
      this.#client.onClose.subscribe(() => {
        if (!settled) {
          settle(new BridgeTransportError('dtls-failed', 'DTLS peer sent an alert during the handshake'));
        } else if (this.#handshakeDone && !this.#closed) {
          this.#log.info('DTLS peer closed the association');
          this.options.onPeerClosed();
        }
      });
      // connect() resolves only when werift's first flight stops retransmitting: don't wait on it.
      this.#client.connect().catch((err: unknown) => {
        settle(new BridgeTransportError('dtls-failed', `DTLS ClientHello failed: ${String(err)}`, { cause: err }));
      });
    });
  }

  #authenticate(remoteFingerprints: readonly FingerprintLike[]): DtlsHandshakeResult {
    const der = this.#client.remoteCertificate;
    if (der === undefined) throw new BridgeTransportError('dtls-failed', 'DTLS peer presented no certificate');
    const actual = certificateFingerprint(der, 'sha-256');
    if (!matchesFingerprint(der, remoteFingerprints)) {
      const expected = remoteFingerprints.map((f) => `${f.hash} ${f.value}`).join(', ') || 'none';
      throw new BridgeTransportError(
        'fingerprint-mismatch',
        `DTLS certificate fingerprint sha-256 ${actual} matches none signalled (${expected})`,
      );
    }
    const problem = checkServerKeyExchange(
      this.#client.dtls.sortedHandshakeCache,
      this.#client.cipher.localRandom.serialize(),
      this.#client.cipher.remoteRandom.serialize(),
      der,
    );
    if (problem !== undefined) throw new BridgeTransportError('fingerprint-mismatch', `DTLS peer not authenticated: ${problem}`);

    const spec = profileById(this.#client.srtp.srtpProfile ?? -1);
    if (spec === undefined || !this.options.profiles.includes(spec.name)) {
      throw new BridgeTransportError('no-srtp-profile', 'DTLS peer selected no SRTP protection profile we offered');
    }
    const k = this.#client.extractSessionKeys(spec.keyLength, spec.saltLength);
    this.#handshakeDone = true;
    return {
      profile: spec.name,
      remoteFingerprint: actual,
      remoteCertificate: der,
      keys: {
        localKey: toBuffer(k.localKey),
        localSalt: toBuffer(k.localSalt),
        remoteKey: toBuffer(k.remoteKey),
        remoteSalt: toBuffer(k.remoteSalt),
      },
    };
  }

  /**
   * Stops the session. werift's flight retransmissions sleep on timers we cannot cancel; marking
   * the handshake as past its last flight makes each of them end at its next wake-up (≤ 5.5 s,
   * usually 0.5 s) without sending anything.
   */
  close(reason?: BridgeTransportError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort?.(reason ?? new BridgeTransportError('closed', 'DTLS session closed during the handshake'));
    this.#client.dtls.flight = Number.MAX_SAFE_INTEGER;
    this.#client.onConnect.allUnsubscribe();
    this.#client.onError.allUnsubscribe();
    this.#client.onClose.allUnsubscribe();
    this.#client.onData.allUnsubscribe();
    void this.#transport.close();
  }
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new BridgeTransportError('dtls-failed', 'DTLS key export returned no key material');
}

function asBridgeError(err: unknown): BridgeTransportError {
  if (err instanceof BridgeTransportError) return err;
  return new BridgeTransportError('dtls-failed', `DTLS authentication failed: ${String(err)}`, { cause: err });
}
