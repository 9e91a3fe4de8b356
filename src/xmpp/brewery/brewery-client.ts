/**
 * The gateway's long-lived control session: an account that sits in the brewery MUC, publishes
 * the instance's load in its presence (Jicofo picks dial-out instances from it) and receives the
 * dial-out IQs. It reconnects and rejoins by itself, forever, until stop().
 */
import type { Logger } from '../../log.js';
import { Backoff } from '../../util/backoff.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import {
  closeXmppClient,
  createXmppClient,
  handleIqSet,
  IqTimeoutError,
  sendIq,
  XmppStanzaError,
  xml,
  type Client,
  type Element,
  type XmppClientOptions,
} from '../connection.js';
import { classifyRoomPresence, joinPresence, leavePresence, randomNick, updatePresence } from './brewery-presence.js';
import type { BreweryStats } from './stats-element.js';

export type BreweryState = 'offline' | 'connecting' | 'online' | 'joined';

export type BreweryEvents = {
  /** joined (or rejoined) the brewery as this occupant JID */
  joined: [occupantJid: string];
  /** no longer in the brewery (connection lost, removed by the room, or stop()) */
  left: [reason: string];
  /** a connect or join attempt failed; the session retries by itself */
  error: [err: Error];
  state: [state: BreweryState];
};

export type BreweryIqHandler = (iq: Element) => Promise<Element>;

export interface BreweryClientOptions {
  service: string;
  /** the control account's domain (auth domain) */
  domain: string;
  username: string;
  password: string;
  allowPlain: boolean;
  /** e.g. jigasibrewery@internal-muc.meet.jitsi */
  breweryRoomJid: string;
  /** our nick in the brewery; random 8 hex digits when absent (a new one on conflict) */
  nick?: string;
  resource?: string;
  logger: Logger;
  stats: () => BreweryStats;
  backoff?: Backoff;
  /** give up a connect attempt (and retry) after this long; default 10 s */
  connectTimeoutMs?: number;
  /** give up waiting for the room's answer to a join (and retry); default 10 s */
  joinTimeoutMs?: number;
  /** XMPP ping to the server this often to notice a dead TCP connection; 0 = off; default 30 s */
  pingIntervalMs?: number;
  /** for tests: how a connection is made */
  createClient?: (opts: XmppClientOptions) => Client;
}

const MAX_NICK_CONFLICTS = 5;

type JoinOutcome = { kind: 'joined' } | { kind: 'error'; error: XmppStanzaError };

export class BreweryClient extends TypedEmitter<BreweryEvents> {
  readonly #o: BreweryClientOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #iqHandlers: Array<{ childName: string; xmlns: string; handler: BreweryIqHandler }> = [];
  #state: BreweryState = 'offline';
  #nick: string;
  #xmpp: Client | undefined;
  #running = false;
  /** Bumped whenever a connection is abandoned, so callbacks of an old connection do nothing. */
  #generation = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #pingTimer: NodeJS.Timeout | undefined;
  #joinWaiter: ((outcome: JoinOutcome) => void) | undefined;
  /** publish() was called while not joined; the stats go out again once joined. */
  #publishPending = false;
  #firstJoin: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(options: BreweryClientOptions) {
    super();
    this.#o = options;
    this.#log = options.logger.child({ component: 'brewery', room: options.breweryRoomJid });
    this.#backoff = options.backoff ?? new Backoff(500, 30_000);
    this.#nick = options.nick ?? randomNick();
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'brewery event listener threw'));
  }

  get state(): BreweryState {
    return this.#state;
  }

  get nick(): string {
    return this.#nick;
  }

  get occupantJid(): string {
    return `${this.#o.breweryRoomJid}/${this.#nick}`;
  }

  /**
   * Starts the session. Resolves once the brewery is joined for the first time (or stop() is
   * called first); failures are retried in the background with backoff, never thrown.
   */
  start(): Promise<void> {
    if (this.#running) return this.#firstJoin?.promise ?? Promise.resolve();
    this.#running = true;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#firstJoin = { promise, resolve };
    void this.#connect();
    return promise;
  }

  /** Re-sends the brewery presence with fresh stats (call start/end, drain started). */
  async publish(): Promise<void> {
    const xmpp = this.#xmpp;
    if (this.#state !== 'joined' || !xmpp) {
      this.#publishPending = true;
      return;
    }
    try {
      await xmpp.send(updatePresence(this.occupantJid, this.#o.stats()));
    } catch (err) {
      // A dead connection is noticed and repaired by the disconnect path; the next join republishes.
      this.#publishPending = true;
      this.#log.warn({ err: String(err) }, 'brewery presence update not sent');
    }
  }

  /**
   * Answers `<iq type="set"><childName xmlns/></iq>` on this and every later connection. The
   * handler's element is the result payload; a thrown XmppStanzaError becomes that IQ error.
   */
  onIq(childName: string, xmlns: string, handler: BreweryIqHandler): void {
    this.#iqHandlers.push({ childName, xmlns, handler });
    if (this.#xmpp) handleIqSet(this.#xmpp, childName, xmlns, handler, this.#log);
  }

  /** Leaves the brewery and disconnects; no more reconnects. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    this.#clearTimers();
    this.#joinWaiter?.({ kind: 'error', error: new XmppStanzaError('gone', 'cancel', 'stopped') });
    const wasJoined = this.#state === 'joined';
    const xmpp = this.#xmpp;
    this.#xmpp = undefined;
    if (xmpp) {
      if (wasJoined) {
        await xmpp.send(leavePresence(this.occupantJid)).catch(() => undefined);
      }
      await closeXmppClient(xmpp).catch(() => undefined);
    }
    this.#setState('offline');
    if (wasJoined) this.emit('left', 'stopped');
    this.#firstJoin?.resolve();
  }

  async #connect(): Promise<void> {
    const gen = ++this.#generation;
    this.#setState('connecting');
    const xmpp = this.#newClient(gen);
    this.#xmpp = xmpp;
    try {
      await withTimeout(xmpp.start(), this.#o.connectTimeoutMs ?? 10_000, 'connect');
      if (gen !== this.#generation) return;
      this.#setState('online');
      this.#log.info({ jid: xmpp.jid?.toString() }, 'control session online');
      this.#startPing(gen, xmpp);
      await this.#join(gen, xmpp);
    } catch (err) {
      if (gen !== this.#generation) return;
      const error = err instanceof Error ? err : new Error(String(err));
      this.#log.warn({ err: error.message }, 'control session attempt failed');
      this.emit('error', error);
      this.#connectionLost(gen, error.message);
    }
  }

  #newClient(gen: number): Client {
    const o = this.#o;
    const create = o.createClient ?? createXmppClient;
    const xmpp = create({
      service: o.service,
      domain: o.domain,
      username: o.username,
      password: o.password,
      allowPlain: o.allowPlain,
      logger: this.#log,
      ...(o.resource !== undefined ? { resource: o.resource } : {}),
    });
    // One owner of reconnection: this class, so that every reconnect also rejoins and republishes.
    xmpp.reconnect.stop();
    for (const h of this.#iqHandlers) handleIqSet(xmpp, h.childName, h.xmlns, h.handler, this.#log);
    xmpp.on('stanza', (stanza: Element) => {
      if (gen === this.#generation) this.#onStanza(gen, stanza);
    });
    xmpp.on('disconnect', () => this.#connectionLost(gen, 'disconnected'));
    return xmpp;
  }

  async #join(gen: number, xmpp: Client): Promise<void> {
    for (let conflicts = 0; ; ) {
      const outcome = new Promise<JoinOutcome>((resolve) => (this.#joinWaiter = resolve));
      this.#publishPending = false;
      await xmpp.send(joinPresence(this.occupantJid, this.#o.stats()));
      const result = await withTimeout(outcome, this.#o.joinTimeoutMs ?? 10_000, 'brewery join').finally(() => {
        this.#joinWaiter = undefined;
      });
      if (gen !== this.#generation) return;
      if (result.kind === 'joined') break;
      if (result.error.condition === 'conflict' && ++conflicts <= MAX_NICK_CONFLICTS) {
        const taken = this.#nick;
        this.#nick = randomNick();
        this.#log.info({ taken, nick: this.#nick }, 'brewery nick taken; trying another');
        continue;
      }
      throw result.error;
    }
    this.#backoff.reset();
    this.#setState('joined');
    this.#log.info({ occupant: this.occupantJid }, 'joined brewery');
    this.emit('joined', this.occupantJid);
    this.#firstJoin?.resolve();
    if (this.#publishPending) await this.publish();
  }

  #onStanza(gen: number, stanza: Element): void {
    if (!stanza.is('presence')) return;
    const p = classifyRoomPresence(stanza, this.occupantJid);
    switch (p.kind) {
      case 'self-available':
        this.#joinWaiter?.({ kind: 'joined' });
        return;
      case 'join-error':
        if (this.#joinWaiter) this.#joinWaiter({ kind: 'error', error: p.error });
        else this.#log.warn({ condition: p.error.condition }, 'brewery presence error');
        return;
      case 'self-unavailable':
        if (this.#state === 'joined') this.#removedFromRoom(gen, p.statusCodes);
        return;
      case 'other':
        return;
    }
  }

  /** Kicked, room destroyed, or the server dropped us from the room: rejoin on the same connection. */
  #removedFromRoom(gen: number, statusCodes: string[]): void {
    const xmpp = this.#xmpp;
    this.#setState('online');
    this.#log.warn({ statusCodes }, 'removed from brewery; rejoining');
    this.emit('left', `removed from room (status ${statusCodes.join(',') || 'none'})`);
    if (!xmpp) return;
    this.#retryTimer = setTimeout(() => {
      if (gen !== this.#generation) return;
      this.#join(gen, xmpp).catch((err: unknown) => {
        if (gen !== this.#generation) return;
        const error = err instanceof Error ? err : new Error(String(err));
        this.emit('error', error);
        this.#connectionLost(gen, error.message);
      });
    }, this.#backoff.next());
  }

  /** The connection `gen` is dead or useless: drop it and schedule a fresh one. */
  #connectionLost(gen: number, reason: string): void {
    if (gen !== this.#generation || !this.#running) return;
    this.#generation++;
    this.#clearTimers();
    const wasJoined = this.#state === 'joined';
    const xmpp = this.#xmpp;
    this.#xmpp = undefined;
    if (xmpp) void closeXmppClient(xmpp).catch(() => undefined);
    this.#setState('offline');
    if (wasJoined) {
      this.#log.warn({ reason }, 'left brewery: connection lost');
      this.emit('left', reason);
    }
    const delay = this.#backoff.next();
    this.#log.info({ delayMs: delay, attempt: this.#backoff.attempts }, 'control session reconnecting');
    this.#retryTimer = setTimeout(() => void this.#connect(), delay);
  }

  /** A TCP connection can die silently (NAT timeout, partition); a ping that goes unanswered says so. */
  #startPing(gen: number, xmpp: Client): void {
    const interval = this.#o.pingIntervalMs ?? 30_000;
    if (interval <= 0) return;
    this.#pingTimer = setInterval(() => {
      const ping = xml('iq', { type: 'get', to: this.#o.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
      sendIq(xmpp, ping, Math.min(interval, 10_000)).catch((err: unknown) => {
        // An error reply still proves the connection alive; only silence means it is dead.
        if (err instanceof IqTimeoutError) this.#connectionLost(gen, 'ping timeout');
      });
    }, interval);
    this.#pingTimer.unref();
  }

  #clearTimers(): void {
    clearTimeout(this.#retryTimer);
    clearInterval(this.#pingTimer);
    this.#retryTimer = undefined;
    this.#pingTimer = undefined;
  }

  #setState(state: BreweryState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
