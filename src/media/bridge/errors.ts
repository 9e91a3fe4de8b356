/** Why a bridge transport could not come up or went down; doubles as the metric label. */
export type BridgeFailureReason =
  | 'ice-timeout'
  | 'ice-failed'
  | 'consent-expired'
  | 'dtls-timeout'
  | 'dtls-failed'
  | 'dtls-closed'
  | 'fingerprint-mismatch'
  | 'no-srtp-profile'
  | 'superseded'
  | 'closed';

export class BridgeTransportError extends Error {
  readonly reason: BridgeFailureReason;

  constructor(reason: BridgeFailureReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BridgeTransportError';
    this.reason = reason;
  }

  /** Label for a `..._failures_total{reason}` counter: a closed set, never call data. */
  get metricLabel(): string {
    return this.reason.replaceAll('-', '_');
  }
}
