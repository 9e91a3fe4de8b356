import type { BridgeTransportError } from './errors.js';
import type { IceAgent } from './ice-agent.js';

export interface PendingSelection {
  /** Resolves at the agent's next 'selected', rejects at its next 'failed' or on abort(). */
  promise: Promise<void>;
  abort(err: BridgeTransportError): void;
}

/** Waits for the outcome of the ICE checks started next, cancellable by the transport. */
export function waitForSelection(ice: IceAgent): PendingSelection {
  let abort: (err: BridgeTransportError) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    const done = (): void => {
      ice.off('selected', onSelected);
      ice.off('failed', onFailed);
    };
    const onSelected = (): void => {
      done();
      resolve();
    };
    const onFailed = (err: BridgeTransportError): void => {
      done();
      reject(err);
    };
    ice.on('selected', onSelected);
    ice.on('failed', onFailed);
    abort = (err) => {
      done();
      reject(err);
    };
  });
  return { promise, abort };
}
