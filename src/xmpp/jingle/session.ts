import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import {
  buildSessionAccept,
  buildSessionTerminate,
  buildTransportAccept,
  buildTransportInfo,
  type JingleReasonCondition,
} from './build.js';
import { JingleSessionError, NegotiationError, type JingleParseError } from './errors.js';
import { answerHeaderExtensions, answerPayloadTypes, findAudioContent, negotiateAudio, type NegotiatedAudio } from './negotiate.js';
import { RemoteSourceMap, type RemoteSource } from './remote-sources.js';
import type {
  JingleSessionEvents,
  JingleSessionOptions,
  JingleSessionState,
  LocalMedia,
  LocalTransport,
} from './session-types.js';
import {
  bundleOf,
  type IceCandidate,
  type IceTransport,
  type JingleAction,
  type JingleContent,
  type JingleReason,
  type SessionInitiate,
  type TransportInfo,
  type TransportReplace,
} from './types.js';

export type * from './session-types.js';

/** One call's Jingle session with the focus; transport-agnostic (IQs in through handle(), out through send). */
export class JingleSession extends TypedEmitter<JingleSessionEvents> {
  readonly #opts: JingleSessionOptions;
  readonly #log: Logger;
  readonly #sources = new RemoteSourceMap();
  #state: JingleSessionState = 'idle';
  #sid: string | undefined;
  readonly #endedSids = new Set<string>();
  #offer: JingleContent | undefined;
  #negotiated: NegotiatedAudio | undefined;
  #accepting = false;
  #localCreds: { ufrag: string; pwd: string } | undefined;

  constructor(opts: JingleSessionOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger;
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'jingle session listener threw'));
  }

  get state(): JingleSessionState {
    return this.#state;
  }

  get sid(): string | undefined {
    return this.#sid;
  }

  get negotiated(): NegotiatedAudio | undefined {
    return this.#negotiated;
  }

  /** The current remote audio content, with its transport as updated by transport-info/replace. */
  get remoteContent(): JingleContent | undefined {
    return this.#offer;
  }

  remoteSources(): RemoteSource[] {
    return this.#sources.list();
  }

  ownerOf(ssrc: number): string | undefined {
    return this.#sources.get(ssrc)?.owner;
  }

  /**
   * Applies one Jingle action from the focus. Returns normally when the IQ should be answered with
   * a result; throws a JingleError whose condition the IQ error must carry otherwise.
   */
  handle(action: JingleAction): void {
    switch (action.action) {
      case 'session-initiate':
        return this.#onInitiate(action);
      case 'source-add':
        this.#requireSession(action);
        return this.#emitNonEmpty('sourcesAdded', this.#sources.add(action.contents));
      case 'source-remove': {
        this.#requireSession(action);
        const { removed, unknown } = this.#sources.remove(action.contents);
        if (unknown.length > 0) this.#log.debug({ ssrcs: unknown }, 'source-remove for unknown ssrcs');
        return this.#emitNonEmpty('sourcesRemoved', removed);
      }
      case 'transport-info':
        this.#requireSession(action);
        return this.#onTransportInfo(action);
      case 'transport-replace':
        this.#requireSession(action);
        return this.#onTransportReplace(action);
      case 'session-terminate':
        return this.#onRemoteTerminate(action.sid, action.reason);
      case 'content-modify':
        // Senders changes don't matter to an audio gateway that always sends and receives.
        this.#requireSession(action);
        this.#log.debug({ sid: action.sid }, 'ignoring content-modify');
        return;
      case 'session-accept':
      case 'transport-accept':
        throw JingleSessionError.outOfOrder(`${action.action} is not expected by the responder`);
      case 'other':
        if (action.name === 'session-info') {
          this.#requireSession(action);
          return;
        }
        throw new JingleSessionError(`unsupported jingle action '${action.name}'`, 'feature-not-implemented');
    }
  }

  /** Sends our ICE parameters in a transport-info, then session-accept (the order jigasi uses). */
  async accept(local: LocalMedia): Promise<void> {
    const sid = this.#sid;
    const negotiated = this.#negotiated;
    if (this.#state !== 'pending' || this.#accepting || sid === undefined || negotiated === undefined) {
      throw JingleSessionError.outOfOrder(`cannot accept in state ${this.#state}`);
    }
    this.#accepting = true;
    try {
      this.#localCreds = { ufrag: local.ufrag, pwd: local.pwd };
      await this.#opts.send(
        buildTransportInfo({
          to: this.#opts.focusJid,
          sid,
          contentName: negotiated.mid,
          ufrag: local.ufrag,
          pwd: local.pwd,
          candidates: local.candidates.map(normalizeCandidate),
        }),
      );
      this.#assertStillPending(sid);
      await this.#opts.send(
        buildSessionAccept({
          to: this.#opts.focusJid,
          sid,
          responder: this.#opts.localJid,
          content: {
            name: negotiated.mid,
            payloadTypes: answerPayloadTypes(negotiated),
            headerExtensions: answerHeaderExtensions(negotiated),
            ssrc: local.ssrc,
            cname: local.cname,
            msid: local.msid,
            ...(local.sourceName !== undefined ? { sourceName: local.sourceName } : {}),
            fingerprint: { hash: local.fingerprint.hash, setup: 'active', value: local.fingerprint.value },
          },
        }),
      );
      this.#assertStillPending(sid);
      this.#state = 'active';
      this.#log.info({ sid }, 'jingle session accepted');
    } finally {
      this.#accepting = false;
    }
  }

  /** Trickles candidates found after accept() (or before it, given the credentials). */
  async sendCandidates(candidates: readonly IceCandidate[], creds?: { ufrag: string; pwd: string }): Promise<void> {
    const sid = this.#sid;
    const c = creds ?? this.#localCreds;
    if ((this.#state !== 'pending' && this.#state !== 'active') || sid === undefined || this.#negotiated === undefined) {
      throw JingleSessionError.outOfOrder(`cannot send candidates in state ${this.#state}`);
    }
    if (c === undefined) throw JingleSessionError.outOfOrder('no local ICE credentials yet');
    await this.#opts.send(
      buildTransportInfo({
        to: this.#opts.focusJid,
        sid,
        contentName: this.#negotiated.mid,
        ufrag: c.ufrag,
        pwd: c.pwd,
        candidates: candidates.map(normalizeCandidate),
      }),
    );
  }

  /** Answers a transport-replace with our (new) transport. */
  async acceptTransport(local: LocalTransport): Promise<void> {
    const sid = this.#sid;
    if ((this.#state !== 'pending' && this.#state !== 'active') || sid === undefined || this.#negotiated === undefined) {
      throw JingleSessionError.outOfOrder(`cannot accept a transport in state ${this.#state}`);
    }
    this.#localCreds = { ufrag: local.ufrag, pwd: local.pwd };
    await this.#opts.send(
      buildTransportAccept({
        to: this.#opts.focusJid,
        sid,
        contentName: this.#negotiated.mid,
        ufrag: local.ufrag,
        pwd: local.pwd,
        candidates: local.candidates.map(normalizeCandidate),
        fingerprint: { hash: local.fingerprint.hash, setup: 'active', value: local.fingerprint.value },
      }),
    );
  }

  /**
   * Ends the session for good. Sends session-terminate only when a session exists; idempotent,
   * and never throws (it runs during teardown): a send failure is logged.
   */
  /** Ends the session; tells the focus unless `notifyFocus` is false (it can no longer be reached). */
  async terminate(reason: JingleReasonCondition, text?: string, notifyFocus = true): Promise<void> {
    const prev = this.#state;
    if (prev === 'terminated') return;
    this.#state = 'terminated';
    this.#sources.clear();
    const sid = this.#sid;
    if ((prev !== 'pending' && prev !== 'active') || sid === undefined) return;
    this.#endedSids.add(sid);
    if (!notifyFocus) return;
    this.#log.info({ sid, reason }, 'terminating jingle session');
    try {
      await this.#opts.send(
        buildSessionTerminate({ to: this.#opts.focusJid, sid, reason, ...(text !== undefined ? { text } : {}) }),
      );
    } catch (err) {
      this.#log.warn({ err, sid }, 'sending session-terminate failed');
    }
  }

  /**
   * The XMPP stream carrying the session is gone (a Prosody restart): the focus will offer a new
   * session once we are back in the room, so this one ends as if the focus had terminated it and
   * the session waits, resumable, for that new session-initiate.
   */
  connectionLost(): void {
    if ((this.#state !== 'pending' && this.#state !== 'active') || this.#sid === undefined) return;
    this.#onRemoteTerminate(this.#sid, { condition: 'connectivity-error', text: 'xmpp connection lost' });
  }

  #onInitiate(action: SessionInitiate): void {
    if (this.#state === 'pending' || this.#state === 'active') {
      throw JingleSessionError.outOfOrder(`session-initiate while session ${this.#sid ?? ''} is ${this.#state}`);
    }
    if (this.#state === 'terminated') throw JingleSessionError.outOfOrder('session-initiate after the call ended');
    if (this.#endedSids.has(action.sid)) {
      throw JingleSessionError.outOfOrder(`session-initiate reuses ended sid ${action.sid}`);
    }
    const resumed = this.#state === 'resumable';
    this.#sid = action.sid;
    this.#state = 'pending';
    this.#localCreds = undefined;

    let content: JingleContent;
    let negotiated: NegotiatedAudio;
    try {
      content = findAudioContent(action.contents);
      negotiated = negotiateAudio(content);
    } catch (err) {
      if (!(err instanceof NegotiationError)) throw err;
      this.#rejectOffer(err);
      return;
    }
    // A copy: transport-info updates it, and listeners keep the content they were given.
    this.#offer = { ...content };
    this.#negotiated = negotiated;
    this.#sources.replace(action.contents);
    this.#log.info({ sid: action.sid, resumed, sources: this.#sources.size }, 'session-initiate received');
    this.emit('initiate', {
      sid: action.sid,
      ...(action.initiator !== undefined ? { initiator: action.initiator } : {}),
      content,
      negotiated,
      bundle: bundleOf(action.groups),
      sources: this.#sources.list(),
      resumed,
      action,
    });
  }

  /**
   * An unreadable session-initiate, already answered with an IQ error by whoever parsed it: no
   * session came into being, but the call waiting for one must learn it will not get it.
   */
  refuseUnreadableOffer(err: JingleParseError): void {
    if (this.#state !== 'idle' && this.#state !== 'resumable') return;
    this.#log.warn({ err: err.message }, 'unreadable session-initiate');
    this.emit('offerRefused', err);
  }

  /**
   * XEP-0166 §6.3.2: acknowledge the unusable offer, then terminate it. The terminate waits a turn
   * so that the IQ result, sent by our caller after handle() returns, goes out first.
   */
  #rejectOffer(err: NegotiationError): void {
    this.#log.warn({ sid: this.#sid, err: err.message }, 'rejecting jingle offer');
    setImmediate(() => {
      void this.terminate(err.jingleReason, err.message);
    });
    this.emit('offerRefused', err);
  }

  #onTransportInfo(action: TransportInfo): void {
    for (const c of action.contents) {
      const t = c.transport;
      if (!t) continue;
      const offer = this.#offer;
      let iceRestart = false;
      if (offer && offer.name === c.name) {
        const known = offer.transport;
        iceRestart =
          known !== undefined &&
          ((t.ufrag !== undefined && t.ufrag !== known.ufrag) || (t.pwd !== undefined && t.pwd !== known.pwd));
        offer.transport = mergeTransport(known, t, iceRestart);
      }
      this.emit('transportInfo', {
        contentName: c.name,
        ...(t.ufrag !== undefined ? { ufrag: t.ufrag } : {}),
        ...(t.pwd !== undefined ? { pwd: t.pwd } : {}),
        candidates: t.candidates,
        iceRestart,
      });
    }
  }

  #onTransportReplace(action: TransportReplace): void {
    const content = findAudioContent(action.contents);
    const negotiated = negotiateAudio(content);
    this.#offer = { ...content };
    this.#negotiated = negotiated;
    const { added, removed } = this.#sources.replace(action.contents);
    this.emit('transportReplace', {
      content,
      ...(content.transport ? { transport: content.transport } : {}),
      negotiated,
      bundle: bundleOf(action.groups),
    });
    this.#emitNonEmpty('sourcesRemoved', removed);
    this.#emitNonEmpty('sourcesAdded', added);
  }

  #onRemoteTerminate(sid: string, reason: JingleReason | undefined): void {
    this.#requireSessionSid(sid, 'session-terminate');
    this.#endedSids.add(sid);
    this.#state = 'resumable';
    this.#sources.clear();
    this.#offer = undefined;
    this.#negotiated = undefined;
    const r = reason ?? { condition: 'success' };
    this.#log.info({ sid, reason: r }, 'focus terminated the jingle session');
    this.emit('terminated', { sid, reason: r, by: 'remote' });
  }

  #requireSession(action: JingleAction): void {
    this.#requireSessionSid(action.sid, action.action === 'other' ? action.name : action.action);
  }

  #requireSessionSid(sid: string, what: string): void {
    if ((this.#state !== 'pending' && this.#state !== 'active') || sid !== this.#sid) {
      throw JingleSessionError.unknownSession(`${what} for unknown session ${sid} (state ${this.#state})`);
    }
  }

  #assertStillPending(sid: string): void {
    if (this.#state !== 'pending' || this.#sid !== sid) {
      throw JingleSessionError.unknownSession(`session ${sid} ended while accepting`);
    }
  }

  #emitNonEmpty(event: 'sourcesAdded' | 'sourcesRemoved', sources: RemoteSource[]): void {
    if (sources.length > 0) this.emit(event, sources);
  }
}

/** XEP-0176 wants an id on every candidate; Jicofo's shape also carries network='0'. */
function normalizeCandidate(c: IceCandidate): IceCandidate {
  return { ...c, id: c.id ?? randomBytes(5).toString('hex'), network: c.network ?? 0 };
}

function mergeTransport(known: IceTransport | undefined, update: IceTransport, restart: boolean): IceTransport {
  if (!known || restart) {
    return { ...update, fingerprints: update.fingerprints.length > 0 ? update.fingerprints : (known?.fingerprints ?? []) };
  }
  return {
    ...known,
    ...(update.ufrag !== undefined ? { ufrag: update.ufrag } : {}),
    ...(update.pwd !== undefined ? { pwd: update.pwd } : {}),
    candidates: [...known.candidates, ...update.candidates],
    fingerprints: update.fingerprints.length > 0 ? update.fingerprints : known.fingerprints,
  };
}
