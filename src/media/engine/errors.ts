/** A call-media method used in a state where it cannot work (closed, not connected yet, ...). */
export class CallMediaStateError extends Error {
  override readonly name = 'CallMediaStateError';
  readonly metricLabel = 'media_state';
}
