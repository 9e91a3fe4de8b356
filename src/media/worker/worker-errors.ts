import { BridgeTransportError, type BridgeFailureReason } from '../bridge/errors.js';
import { SdpNegotiationError } from '../caller/sdp-negotiation.js';
import { CallMediaStateError } from '../engine/errors.js';

/**
 * An error as it crosses the thread boundary. Structured cloning keeps only message and stack of
 * an Error, so the fields the call layer decides by (the class, sipStatus, metricLabel, a bridge
 * failure's reason) travel explicitly and are put back on the same class on the other side.
 */
export interface WireError {
  kind: 'sdp' | 'bridge' | 'state' | 'other';
  name: string;
  message: string;
  sipStatus?: number;
  metricLabel?: string;
  reason?: BridgeFailureReason;
}

export function toWire(err: unknown): WireError {
  if (!(err instanceof Error)) return { kind: 'other', name: 'Error', message: String(err) };
  const { sipStatus, metricLabel } = err as { sipStatus?: unknown; metricLabel?: unknown };
  const base = {
    name: err.name,
    message: err.message,
    ...(typeof sipStatus === 'number' ? { sipStatus } : {}),
    ...(typeof metricLabel === 'string' ? { metricLabel } : {}),
  };
  if (err instanceof SdpNegotiationError) return { ...base, kind: 'sdp' };
  if (err instanceof BridgeTransportError) return { ...base, kind: 'bridge', reason: err.reason };
  if (err instanceof CallMediaStateError) return { ...base, kind: 'state' };
  return { ...base, kind: 'other' };
}

/** An error from a media worker that is none of the classes the call layer tells apart. */
export class MediaWorkerError extends Error {
  constructor(
    message: string,
    readonly sipStatus: number | undefined,
    readonly metricLabel: string | undefined,
  ) {
    super(message);
  }
}

export function fromWire(w: WireError): Error {
  switch (w.kind) {
    case 'sdp':
      return new SdpNegotiationError(w.message);
    case 'bridge':
      return new BridgeTransportError(w.reason ?? 'closed', w.message);
    case 'state':
      return new CallMediaStateError(w.message);
    case 'other': {
      const e = new MediaWorkerError(w.message, w.sipStatus, w.metricLabel);
      e.name = w.name;
      return e;
    }
  }
}

/** The worker running a call's media is gone; everything it held went with it. */
export class MediaWorkerDiedError extends Error {
  readonly sipStatus = 503;
  readonly metricLabel = 'media_worker_died';
  constructor(index: number, detail: string) {
    super(`media worker ${index} died: ${detail}`);
    this.name = 'MediaWorkerDiedError';
  }
}
