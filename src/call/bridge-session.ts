import type { Logger } from '../log.js';
import type { BridgeRemote, CallMedia } from '../media/call-media.js';
import type { JingleSession } from '../xmpp/jingle/index.js';
import type { InitiateEvent, TransportInfoEvent, TransportReplaceEvent } from '../xmpp/jingle/session-types.js';
import type { IceTransport } from '../xmpp/jingle/types.js';
import { TypedEmitter } from '../util/typed-emitter.js';

export class MissingTransportError extends Error {
  readonly metricLabel = 'upstream_error';
  constructor(what: string) {
    super(`the focus sent ${what} without ICE credentials`);
    this.name = 'MissingTransportError';
  }
}

export function bridgeRemoteOf(t: IceTransport | undefined, what: string): BridgeRemote {
  if (t?.ufrag === undefined || t.pwd === undefined) throw new MissingTransportError(what);
  return { ufrag: t.ufrag, pwd: t.pwd, candidates: t.candidates, fingerprints: t.fingerprints };
}

type BridgeSessionEvents = {
  /** Media with the bridge is up (first time or after a resume / restart). */
  connected: [{ resumed: boolean }];
  /** The focus ended the Jingle session; the call may resume within the window. */
  suspended: [];
  /** Something went wrong that ends the call. */
  failed: [err: Error];
};

/**
 * Drives a call's media toward the bridge from its Jingle session: accepts each session-initiate
 * (the first and any resumed one), follows sources, trickled candidates, ICE restarts and
 * transport-replace, and suspends the bridge side on a remote session-terminate.
 */
export class BridgeSession extends TypedEmitter<BridgeSessionEvents> {
  #roomJid: string | undefined;
  #closed = false;

  constructor(
    private readonly jingle: JingleSession,
    private readonly media: CallMedia,
    private readonly log: Logger,
  ) {
    super();
    this.onListenerError((event, err) => log.error({ err, event }, 'bridge session listener threw'));
    jingle.on('initiate', (ev) => void this.#onInitiate(ev));
    jingle.on('sourcesAdded', () => this.#syncSources());
    jingle.on('sourcesRemoved', () => this.#syncSources());
    jingle.on('transportInfo', (ev) => void this.#onTransportInfo(ev));
    jingle.on('transportReplace', (ev) => void this.#onTransportReplace(ev));
    jingle.on('terminated', (ev) => {
      log.info({ sid: ev.sid, reason: ev.reason }, 'focus ended the Jingle session; waiting for a new one');
      this.media.disconnectBridge();
      this.emit('suspended');
    });
    jingle.on('offerRefused', (err) => {
      if (!this.#closed) this.emit('failed', err);
    });
  }

  /** The room is known once the conference is joined; an initiate arriving earlier waits for it. */
  setRoom(roomJid: string): void {
    this.#roomJid = roomJid;
  }

  close(): void {
    this.#closed = true;
    this.removeAllListeners();
  }

  #sources(): Array<{ ssrc: number; owner?: string | undefined }> {
    return this.jingle.remoteSources().map((s) => ({ ssrc: s.ssrc, owner: s.owner }));
  }

  #syncSources(): void {
    if (!this.#closed) this.media.setRemoteSources(this.#sources());
  }

  async #onInitiate(ev: InitiateEvent): Promise<void> {
    try {
      const remote = bridgeRemoteOf(ev.content.transport, 'session-initiate');
      // A new session right after the previous one ended (resume) may find the next transport
      // still being set up.
      await this.media.bridgeReady();
      if (this.#closed) return;
      const local = await this.media.bridgeLocal();
      if (this.#closed) return;
      // The answer goes out first: the ICE-lite bridge only answers our checks once Jicofo has
      // told it our ufrag/pwd, which it learns from this transport-info/session-accept.
      await this.jingle.accept(local);
      if (this.#closed) return;
      const room = this.#roomJid ?? ev.action.initiator ?? 'unknown-room';
      await this.media.connectBridge(room, remote, ev.negotiated, this.#sources());
      if (this.#closed) return;
      this.log.info({ sid: ev.sid, resumed: ev.resumed }, 'bridge media connected');
      this.emit('connected', { resumed: ev.resumed });
    } catch (err) {
      if (!this.#closed) this.emit('failed', err as Error);
    }
  }

  async #onTransportInfo(ev: TransportInfoEvent): Promise<void> {
    try {
      if (ev.iceRestart && ev.ufrag !== undefined && ev.pwd !== undefined) {
        const content = this.jingle.remoteContent;
        const fingerprints = content?.transport?.fingerprints ?? [];
        // restartBridge() makes new local credentials at once; the bridge must learn them before
        // our checks can succeed, so they go out before the restart is awaited.
        const restarting = this.media.restartBridge({ ufrag: ev.ufrag, pwd: ev.pwd, candidates: ev.candidates, fingerprints });
        restarting.catch(() => undefined);
        const local = await this.media.bridgeLocal();
        await this.jingle.sendCandidates(local.candidates, { ufrag: local.ufrag, pwd: local.pwd });
        await restarting;
        return;
      }
      this.media.addBridgeCandidates(ev.candidates);
    } catch (err) {
      if (!this.#closed) this.emit('failed', err as Error);
    }
  }

  async #onTransportReplace(ev: TransportReplaceEvent): Promise<void> {
    try {
      // A bridge migration: restart ICE (and DTLS if the certificate changed) in place, instead of
      // leaving and re-joining the room as jigasi does.
      const remote = bridgeRemoteOf(ev.transport, 'transport-replace');
      const restarting = this.media.restartBridge(remote);
      restarting.catch(() => undefined);
      const local = await this.media.bridgeLocal();
      await this.jingle.acceptTransport(local);
      await restarting;
      this.#syncSources();
      if (!this.#closed) this.emit('connected', { resumed: true });
    } catch (err) {
      if (!this.#closed) this.emit('failed', err as Error);
    }
  }
}
