import { randomBytes } from 'node:crypto';
import type { Logger } from '../../log.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { ConsentFreshness } from './consent-freshness.js';
import { BridgeTransportError } from './errors.js';
import {
  candidatePriority,
  newIceCredentials,
  pairPriority,
  usableRemoteCandidate,
  type RemoteCandidate,
} from './ice-candidates.js';
import {
  buildBindingError,
  buildBindingRequest,
  buildBindingSuccess,
  isBinding,
  parseBindingRequest,
  parseBindingResponse,
  stunClass,
  stunTransactionId,
} from './stun-messages.js';
import { StunTransactions, type RetransmitPolicy } from './stun-transactions.js';
import type { IceCandidateLike, LocalIceCandidate, RemoteIceCredentials, TransportAddress } from './types.js';

export interface IceTimings {
  /** Pacing between two new checks (Ta, RFC 8445 §14.2). */
  pacingMs: number;
  /** Retransmission of connectivity checks. */
  check: RetransmitPolicy;
  /** How long start()/restart() may take to select a pair before 'ice-timeout'. */
  connectTimeoutMs: number;
  consentIntervalMs: number;
  consentTimeoutMs: number;
}

export const DEFAULT_ICE_TIMINGS: IceTimings = {
  pacingMs: 20,
  check: { initialRtoMs: 250, maxRtoMs: 1600, maxSends: 7 },
  connectTimeoutMs: 15_000,
  consentIntervalMs: 5_000,
  consentTimeoutMs: 30_000,
};

export interface IceAgentOptions {
  localCandidate: LocalIceCandidate;
  /** IP family of the socket: remote candidates of the other family are unusable. */
  family: 4 | 6;
  send(data: Buffer, to: TransportAddress): void;
  logger: Logger;
  timings?: Partial<IceTimings>;
}

export type IceAgentEvents = {
  /** A pair was nominated; media goes to `remote` from now on. */
  selected: [remote: TransportAddress];
  failed: [error: BridgeTransportError];
};

type PairState = 'waiting' | 'in-progress' | 'succeeded' | 'failed';

interface CandidatePair {
  remote: RemoteCandidate;
  priority: bigint;
  state: PairState;
}

type TxContext =
  | { kind: 'check'; pair: CandidatePair; generation: number }
  | { kind: 'nominate'; pair: CandidatePair; generation: number }
  | { kind: 'consent'; generation: number };

/**
 * A full ICE agent in the controlling role with one host candidate on one socket, as the
 * gateway is toward the ICE-lite JVB (jitsi-contract.md §2). It paces connectivity checks over
 * the remote candidates in pair-priority order, nominates the first pair that succeeds with
 * regular nomination (a second check carrying USE-CANDIDATE), then keeps consent fresh on it.
 * Consent requests carry USE-CANDIDATE too, as libwebrtc does toward ICE-lite peers, so a lite
 * peer that lost the nomination re-learns it.
 *
 * It also answers checks from a full peer (learning peer-reflexive candidates and sending
 * triggered checks). It never gives up the controlling role: a peer claiming it gets 487.
 */
export class IceAgent extends TypedEmitter<IceAgentEvents> {
  #credentials = newIceCredentials();
  #remote: RemoteIceCredentials | undefined;
  #remoteKey = Buffer.alloc(0);
  #pairs: CandidatePair[] = [];
  #triggered: CandidatePair[] = [];
  #nominating: CandidatePair | undefined;
  #selected: TransportAddress | undefined;
  #generation = 0;
  #phase: 'idle' | 'checking' | 'selected' | 'failed' | 'closed' = 'idle';
  #pacer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #rttMs: number | undefined;
  readonly #tieBreaker = randomBytes(8).readBigUInt64BE(0);
  readonly #timings: IceTimings;
  readonly #transactions: StunTransactions<TxContext>;
  readonly #consent: ConsentFreshness;
  readonly #checkPriority = candidatePriority('prflx');
  readonly #log: Logger;

  constructor(private readonly options: IceAgentOptions) {
    super();
    this.#log = options.logger;
    this.#timings = { ...DEFAULT_ICE_TIMINGS, ...options.timings };
    this.#transactions = new StunTransactions<TxContext>(options.send, (ctx) => this.#onTimeout(ctx));
    this.#consent = new ConsentFreshness({
      intervalMs: this.#timings.consentIntervalMs,
      timeoutMs: this.#timings.consentTimeoutMs,
      sendRequest: () => this.#sendConsent(),
      onExpired: () =>
        this.#fail(new BridgeTransportError('consent-expired', `no STUN answer from the bridge for ${this.#timings.consentTimeoutMs} ms`)),
    });
  }

  get localUfrag(): string {
    return this.#credentials.ufrag;
  }

  get localPwd(): string {
    return this.#credentials.pwd;
  }

  /** Where media goes; undefined until a pair is nominated. Kept through an ICE restart. */
  get selected(): TransportAddress | undefined {
    return this.#selected;
  }

  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  get phase(): string {
    return this.#phase;
  }

  /** Begins checking against the remote parameters; 'selected' or 'failed' follows. */
  start(remote: RemoteIceCredentials, candidates: readonly IceCandidateLike[]): void {
    if (this.#phase !== 'idle') throw new Error(`ICE agent already ${this.#phase}`);
    this.#begin(remote, candidates);
  }

  /**
   * ICE restart (RFC 8445 §9): new local credentials at once (read them before answering the
   * peer), a fresh check list against the new remote parameters; media keeps flowing on the old
   * pair until a new one is nominated.
   */
  restart(remote: RemoteIceCredentials, candidates: readonly IceCandidateLike[]): void {
    if (this.#phase === 'closed') throw new Error('ICE agent closed');
    this.#credentials = newIceCredentials();
    this.#generation++;
    this.#consent.stop();
    this.#transactions.cancelAll();
    clearTimeout(this.#pacer);
    this.#pacer = undefined;
    clearTimeout(this.#deadline);
    this.#pairs = [];
    this.#triggered = [];
    this.#nominating = undefined;
    this.#begin(remote, candidates);
  }

  /** Adds a trickled candidate; returns false when it is unusable (TCP, other family, …). */
  addRemoteCandidate(candidate: IceCandidateLike): boolean {
    if (this.#phase === 'closed' || this.#phase === 'failed') return false;
    const remote = usableRemoteCandidate(candidate, this.options.family);
    if (remote === undefined) return false;
    if (this.#findPair(remote.host, remote.port) !== undefined) return true;
    this.#addPair(remote);
    if (this.#phase === 'checking') this.#schedule(0);
    return true;
  }

  /** Whether a datagram from this address may carry DTLS or SRTP (it is the selected path). */
  isSelectedSource(host: string, port: number): boolean {
    const s = this.#selected;
    return s !== undefined && s.port === port && s.host === host;
  }

  handleStun(data: Buffer, from: TransportAddress): void {
    if (this.#phase === 'closed' || !isBinding(data)) return;
    const cls = stunClass(data);
    if (cls === 'request') this.#onRequest(data, from);
    else if (cls === 'success' || cls === 'error') this.#onResponse(data, from);
  }

  close(): void {
    if (this.#phase === 'closed') return;
    this.#phase = 'closed';
    this.#stopTimers();
  }

  #begin(remote: RemoteIceCredentials, candidates: readonly IceCandidateLike[]): void {
    this.#remote = { ufrag: remote.ufrag, pwd: remote.pwd };
    this.#remoteKey = Buffer.from(remote.pwd, 'utf8');
    this.#phase = 'checking';
    for (const c of candidates) this.addRemoteCandidate(c);
    const generation = this.#generation;
    this.#deadline = setTimeout(() => {
      if (this.#phase === 'checking' && this.#generation === generation) {
        const tried = this.#pairs.map((p) => `${p.remote.host}:${p.remote.port}`).join(', ') || 'no usable candidate';
        this.#fail(
          new BridgeTransportError('ice-timeout', `no ICE pair succeeded within ${this.#timings.connectTimeoutMs} ms (${tried})`),
        );
      }
    }, this.#timings.connectTimeoutMs);
    this.#schedule(0);
  }

  #addPair(remote: RemoteCandidate): CandidatePair {
    const pair: CandidatePair = {
      remote,
      priority: pairPriority(this.options.localCandidate.priority, remote.priority),
      state: 'waiting',
    };
    this.#pairs.push(pair);
    this.#pairs.sort((a, b) => (a.priority > b.priority ? -1 : a.priority < b.priority ? 1 : 0));
    return pair;
  }

  #findPair(host: string, port: number): CandidatePair | undefined {
    return this.#pairs.find((p) => p.remote.port === port && p.remote.host === host);
  }

  #schedule(delayMs: number): void {
    if (this.#pacer !== undefined || this.#phase !== 'checking') return;
    this.#pacer = setTimeout(() => {
      this.#pacer = undefined;
      this.#checkNext();
    }, delayMs);
  }

  /** One new check per Ta: triggered checks first, then the best waiting pair. */
  #checkNext(): void {
    if (this.#phase !== 'checking') return;
    const pair = this.#triggered.shift() ?? this.#pairs.find((p) => p.state === 'waiting');
    if (pair === undefined) return;
    this.#sendCheck(pair, false);
    if (this.#triggered.length > 0 || this.#pairs.some((p) => p.state === 'waiting')) {
      this.#schedule(this.#timings.pacingMs);
    }
  }

  #sendCheck(pair: CandidatePair, nominate: boolean): void {
    pair.state = 'in-progress';
    const request = this.#request(nominate);
    const ctx: TxContext = { kind: nominate ? 'nominate' : 'check', pair, generation: this.#generation };
    this.#transactions.start(request.transactionId, request.bytes, pair.remote, this.#remoteKey, ctx, this.#timings.check);
  }

  #sendConsent(): void {
    const to = this.#selected;
    if (to === undefined || this.#remote === undefined) return;
    const request = this.#request(true);
    // One send per request: the next one follows within the interval anyway (RFC 7675 §5.1).
    const policy = { initialRtoMs: this.#timings.consentIntervalMs, maxRtoMs: this.#timings.consentIntervalMs, maxSends: 1 };
    this.#transactions.start(request.transactionId, request.bytes, to, this.#remoteKey, { kind: 'consent', generation: this.#generation }, policy);
  }

  #request(useCandidate: boolean): { transactionId: string; bytes: Buffer } {
    const remote = this.#remote;
    if (remote === undefined) throw new Error('ICE remote credentials not set');
    return buildBindingRequest({
      username: `${remote.ufrag}:${this.#credentials.ufrag}`,
      key: this.#remoteKey,
      priority: this.#checkPriority,
      tieBreaker: this.#tieBreaker,
      useCandidate,
    });
  }

  #onResponse(data: Buffer, from: TransportAddress): void {
    const id = stunTransactionId(data);
    const key = this.#transactions.keyFor(id, from);
    if (key === undefined) return;
    const response = parseBindingResponse(data, key);
    if (response === undefined) return; // failed MESSAGE-INTEGRITY: not from our peer
    const outcome = this.#transactions.complete(id);
    if (outcome === undefined || outcome.context.generation !== this.#generation) return;
    const ctx = outcome.context;
    if (response.success) this.#rttMs = outcome.rttMs;

    if (ctx.kind === 'consent') {
      if (response.success) this.#consent.refreshed();
      return;
    }
    if (!response.success) {
      this.#log.debug({ remote: `${ctx.pair.remote.host}:${ctx.pair.remote.port}`, code: response.errorCode }, 'ICE check rejected');
      this.#pairFailed(ctx.pair);
      return;
    }
    if (ctx.kind === 'check') {
      ctx.pair.state = 'succeeded';
      if (this.#nominating === undefined && this.#phase === 'checking') this.#nominate(ctx.pair);
      return;
    }
    this.#select(ctx.pair);
  }

  #nominate(pair: CandidatePair): void {
    this.#nominating = pair;
    this.#sendCheck(pair, true);
  }

  #select(pair: CandidatePair): void {
    pair.state = 'succeeded';
    this.#nominating = undefined;
    this.#phase = 'selected';
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    clearTimeout(this.#pacer);
    this.#pacer = undefined;
    const generation = this.#generation;
    this.#transactions.cancelWhere((c) => c.kind !== 'consent' && c.generation === generation);
    const previous = this.#selected;
    this.#selected = { host: pair.remote.host, port: pair.remote.port };
    this.#log.info(
      { remote: `${pair.remote.host}:${pair.remote.port}`, type: pair.remote.type, rttMs: this.#rttMs, previous },
      'ICE pair selected',
    );
    this.#consent.start();
    this.emit('selected', this.#selected);
  }

  #onTimeout(ctx: TxContext): void {
    if (ctx.generation !== this.#generation || ctx.kind === 'consent') return;
    this.#pairFailed(ctx.pair);
  }

  #pairFailed(pair: CandidatePair): void {
    pair.state = 'failed';
    if (this.#nominating === pair) {
      this.#nominating = undefined;
      const next = this.#pairs.find((p) => p.state === 'succeeded');
      if (next !== undefined && this.#phase === 'checking') this.#nominate(next);
    }
    // Trickle may still bring candidates: only the deadline ends the attempt.
  }

  #onRequest(data: Buffer, from: TransportAddress): void {
    const request = parseBindingRequest(data, Buffer.from(this.#credentials.pwd, 'utf8'));
    if (request === undefined || !request.username.startsWith(`${this.#credentials.ufrag}:`)) return;
    const key = Buffer.from(this.#credentials.pwd, 'utf8');
    if (request.iceControlling) {
      this.options.send(buildBindingError(request.transactionId, 487, 'Role Conflict', key), from);
      return;
    }
    this.options.send(buildBindingSuccess(request.transactionId, from, key), from);
    if (this.#phase !== 'checking' || this.#remote === undefined) return;
    let pair = this.#findPair(from.host, from.port);
    if (pair === undefined) {
      const priority = request.priority ?? candidatePriority('prflx');
      pair = this.#addPair({ host: from.host, port: from.port, priority, type: 'prflx', foundation: 'prflx' });
    }
    if (pair.state === 'waiting' || pair.state === 'failed') {
      pair.state = 'waiting';
      if (!this.#triggered.includes(pair)) this.#triggered.push(pair);
      this.#schedule(0);
    }
  }

  #fail(error: BridgeTransportError): void {
    if (this.#phase === 'closed' || this.#phase === 'failed') return;
    this.#phase = 'failed';
    this.#stopTimers();
    this.#log.warn({ reason: error.reason }, error.message);
    this.emit('failed', error);
  }

  #stopTimers(): void {
    clearTimeout(this.#pacer);
    this.#pacer = undefined;
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    this.#consent.stop();
    this.#transactions.cancelAll();
  }
}
