/**
 * MediaEngine for MEDIA_MODE=freeswitch: every call gets the engine's media (bridge side) and
 * FreeSWITCH channels (phone side). Without a FreeSWITCH connection no call can be answered, so
 * createCallMedia() fails fast and the call is refused with 503; when the connection drops, the
 * calls that had channels on it end with a clear reason.
 */
import type { Logger } from '../../log.js';
import type { CallMediaOptions, MediaEngine } from '../call-media.js';
import { FreeswitchCallMedia, type FreeswitchCallSettings } from './freeswitch-call-media.js';
import type { FreeswitchConnection } from './freeswitch-connection.js';

/** The call cannot get media now; the SIP layer answers 503. */
export class MediaUnavailableError extends Error {
  override readonly name = 'MediaUnavailableError';
  readonly sipStatus = 503;
}

export class FreeswitchMediaEngine implements MediaEngine {
  readonly #calls = new Set<FreeswitchCallMedia>();
  #closed = false;

  constructor(
    /** The engine that does the bridge side (created with its own caller-RTP timeout off). */
    private readonly engine: MediaEngine,
    private readonly connection: FreeswitchConnection,
    private readonly settings: FreeswitchCallSettings,
    private readonly log: Logger,
  ) {
    connection.on('disconnected', (reason) => {
      for (const call of [...this.#calls]) call.mediaServerLost(reason);
    });
  }

  get activeCalls(): number {
    return this.#calls.size;
  }

  async createCallMedia(opts: CallMediaOptions): Promise<FreeswitchCallMedia> {
    if (this.#closed) throw new Error('media engine is closed');
    const ms = this.connection.mediaServer;
    if (ms === undefined) throw new MediaUnavailableError(`FreeSWITCH is not connected (${this.connection.problem ?? 'unknown'})`);
    const inner = await this.engine.createCallMedia(opts);
    // The connection may have dropped while the engine side was being created. The caller has
    // no listeners on the call yet, so an event would go unheard: refuse it like any other.
    if (this.connection.mediaServer !== ms) {
      await inner.close();
      throw new MediaUnavailableError('FreeSWITCH connection lost while the call was set up');
    }
    const call = new FreeswitchCallMedia(ms, inner, this.settings, this.log.child({ callId: opts.callId }), (c) => this.#calls.delete(c));
    this.#calls.add(call);
    return call;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#calls].map((c) => c.close()));
    await this.engine.close();
  }
}
