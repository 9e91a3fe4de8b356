import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DialOutService } from '../call/dial-out-service.js';
import { CONFERENCE_LEAVE_TIMEOUT_MS } from '../call/call-base.js';
import type { CallDeps } from '../call/call-deps.js';
import { CdrWriter } from '../call/cdr.js';
import type { CallSnapshot } from '../call/call-snapshot.js';
import { InboundCall } from '../call/inbound-call.js';
import { isOperatorTransferable, OPERATOR_TRANSFER_WAIT_MS } from '../call/operator-transfer.js';
import { CallRegistry } from '../call/registry.js';
import type { GatewayConfig } from '../config/types.js';
import { DialIn } from '../dialin/dial-in.js';
import { GatewayMetrics } from '../http/metrics.js';
import { HttpApi } from '../http/server.js';
import type { Logger } from '../log.js';
import type { MediaEngine as CallMediaEngine } from '../media/call-media.js';
import { MediaEngine } from '../media/engine/index.js';
import { MediaWorkerPool } from '../media/worker/worker-pool.js';
import { FreeswitchConnection } from '../media/freeswitch/freeswitch-connection.js';
import { FreeswitchMediaEngine } from '../media/freeswitch/freeswitch-media-engine.js';
import { fsmrfConnector } from '../media/freeswitch/fsmrf-adapter.js';
import { PromptStore } from '../media/prompts/prompt-store.js';
import { DrachtioConnection } from '../sip/drachtio-connection.js';
import { ConferenceMapperClient } from '../sip/pin/conference-mapper.js';
import { codecOfferCheck, structuralOfferCheck } from '../sip/admission/offer-check.js';
import type { AdmissionDecision } from '../sip/invite-middleware.js';
import { SipApp } from '../sip/sip-app.js';
import { BreweryClient } from '../xmpp/brewery/index.js';
import { createCallSignaling } from '../xmpp/call-signaling.js';
import { Readiness, RETRY_AFTER_SECONDS, type ReadinessCheck } from './readiness.js';

/** How often the registry looks for calls whose SIP leg vanished unnoticed (CallRegistry.startReaper). */
const ORPHAN_SWEEP_MS = 2000;
const PROMPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prompts');

/**
 * Composition root: builds every long-lived service from the config, starts them in dependency
 * order and stops them in reverse. Knows nothing of signals (see signals.ts).
 */
export class Gateway {
  readonly registry: CallRegistry;
  readonly metrics: GatewayMetrics;
  readonly brewery: BreweryClient;
  readonly drachtio: DrachtioConnection;
  readonly media: CallMediaEngine;
  /** The media worker threads (MEDIA_WORKERS > 0); undefined when media runs in this thread. */
  readonly workers: MediaWorkerPool | undefined;
  /** Set in MEDIA_MODE=freeswitch. */
  readonly freeswitch: FreeswitchConnection | undefined;
  readonly sip: SipApp;
  readonly dialOut: DialOutService;
  readonly http: HttpApi;
  /** The built-in conference mapper and Jitsi Meet's dial-in endpoints; undefined with CONFERENCE_MAPPER_URL or MAPPER_STORE=none. */
  readonly dialIn: DialIn | undefined;
  /** Whether a new call can be taken now: /about/health and SIP OPTIONS both answer from it. */
  readonly readiness: Readiness;
  /** Writes each call's detail record when it ends (log, and CDR_FILE). */
  readonly cdr: CdrWriter;
  readonly #log: Logger;
  #drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: GatewayConfig,
    logger: Logger,
    private readonly requestDrain: () => void,
    opts: { promptsDir?: string } = {},
  ) {
    this.#log = logger;
    this.registry = new CallRegistry(config.maxCalls);
    this.metrics = new GatewayMetrics();
    const x = config.xmpp;
    const breweryRoomJid = `${x.breweryMuc}@${x.internalMucDomain}`;
    const service = `${x.tls ? 'xmpps' : 'xmpp'}://${x.server}:${x.port}`;
    this.brewery = new BreweryClient({
      service,
      domain: x.authDomain,
      username: x.controlUser,
      password: x.controlPassword,
      allowPlain: x.allowPlain,
      breweryRoomJid,
      logger: logger.child({ component: 'brewery' }),
      stats: () => {
        const s = this.registry.stats();
        return {
          conferences: s.conferences,
          participants: s.participants,
          gracefulShutdown: s.gracefulShutdown,
          stressLevel: s.stressLevel,
          region: config.region,
          version: config.version,
        };
      },
    });

    this.drachtio = new DrachtioConnection({ ...config.drachtio, logger: logger.child({ component: 'drachtio' }) });
    const freeswitchMode = config.media.mode === 'freeswitch';
    const engineOptions = {
      bindAddress: config.media.bindAddress,
      announcedAddress: config.media.address,
      portRange: { min: config.media.portMin, max: config.media.portMax },
      opusComplexity: config.media.opusComplexity,
      // In FreeSWITCH mode FreeSWITCH faces the phone; its leg to the engine stays plain RTP on loopback.
      callerSrtp: freeswitchMode ? ('off' as const) : config.media.callerSrtp,
      // FreeSWITCH reports with the phone itself; RTCP on its loopback leg would measure nothing.
      callerRtcp: freeswitchMode ? ('off' as const) : config.media.callerRtcp,
      noiseSuppression: config.media.noiseSuppression,
      // In FreeSWITCH mode the engine's caller side faces FreeSWITCH, silent while not bridged: the
      // phone's RTP is watched on the bridged leg instead (media/freeswitch/packet-flow-watch.ts).
      timeouts: { bridgeMediaMs: config.timeouts.bridgeMediaMs, callerMediaMs: freeswitchMode ? 0 : config.timeouts.callerRtpMs },
    };
    const promptsDir = opts.promptsDir ?? PROMPTS_DIR;
    let engine: CallMediaEngine;
    if (config.media.workers > 0) {
      const pool = new MediaWorkerPool({ workers: config.media.workers, init: { engine: engineOptions, promptsDir, logLevel: logger.level }, logger });
      pool.on('workerDied', (index, err, calls) => {
        this.metrics.mediaWorkerRestartsTotal.inc();
        this.#log.error({ worker: index, calls, err }, 'media worker died; its calls were ended, a replacement is starting');
      });
      this.metrics.trackMediaWorkers(() => pool.status());
      this.workers = pool;
      engine = pool;
    } else {
      this.workers = undefined;
      engine = new MediaEngine({ ...engineOptions, prompts: PromptStore.load(promptsDir), logger: logger.child({ component: 'media' }) });
    }
    if (freeswitchMode) {
      const fs = config.freeswitch;
      this.freeswitch = new FreeswitchConnection({
        host: fs.host,
        port: fs.port,
        secret: fs.secret,
        profile: fs.profile,
        connector: fsmrfConnector(this.drachtio.srf, fs),
        logger,
      });
      this.media = new FreeswitchMediaEngine(
        engine,
        this.freeswitch,
        { promptDir: fs.promptDir, callerRtpTimeoutMs: config.timeouts.callerRtpMs },
        logger.child({ component: 'media' }),
      );
    } else {
      this.freeswitch = undefined;
      this.media = engine;
    }

    this.dialIn = DialIn.fromConfig(config, logger.child({ component: 'dial-in' }), (endpoint, status) =>
      this.metrics.dialInRequestsTotal.inc({ endpoint, status: String(status) }),
    );
    this.cdr = new CdrWriter({ logger: logger.child({ component: 'cdr' }), file: config.cdrFile, mediaMode: config.media.mode });
    const deps: CallDeps = {
      media: this.media,
      registry: this.registry,
      createSignaling: createCallSignaling,
      conference: {
        service,
        login: x.callLogin,
        allowPlain: x.allowPlain,
        focusJid: x.focusJid,
        audioMuteFeature: config.enableAudioMute,
        ...(config.region !== undefined ? { region: config.region } : {}),
        ...(config.statsId !== undefined ? { statsId: config.statsId } : {}),
        version: config.version,
        joinTimeoutMs: x.joinTimeoutMs,
        leaveTimeoutMs: CONFERENCE_LEAVE_TIMEOUT_MS,
        // Where Jitsi's av_moderation component lives in every deployment (docker-jitsi-meet too).
        avModerationJid: `avmoderation.${x.domain}`,
      },
      timeouts: config.timeouts,
      pinLookup: config.sip.conferenceMapperUrl === undefined ? this.dialIn?.mapper : new ConferenceMapperClient(config.sip.conferenceMapperUrl),
      metrics: this.metrics,
      cdr: this.cdr,
      transfer: {
        policy: config.sip.referPolicy,
        dial: (req) => this.sip.placeTransferCall(req),
        ringTimeoutMs: config.dialOut.ringTimeoutMs,
        names: config.sip.callerNames,
      },
      logger: logger.child({ component: 'call' }),
    };

    this.sip = new SipApp({
      connection: this.drachtio,
      config: config.sip,
      layout: { domain: x.domain, mucDomain: x.mucDomain },
      admission: () => this.#admission(),
      readiness: () => this.readiness.sipVerdict(),
      checkOffer: freeswitchMode ? structuralOfferCheck(config.media.callerSrtp) : codecOfferCheck(undefined, config.media.callerSrtp),
      ...(this.dialIn !== undefined ? { builtinPinPrompt: this.dialIn.oneTapRules } : {}),
      // run() registers the call before its first await, which admission relies on for capacity.
      onInboundCall: (leg, route, meta) => void new InboundCall(leg, route, meta, deps).run(),
      metrics: {
        response: (status) => this.metrics.sipResponsesTotal.inc({ status: String(status) }),
        throttled: (method, action) => this.metrics.sipThrottledTotal.inc({ method, action }),
      },
      logger,
    });
    this.dialOut = new DialOutService({
      brewery: this.brewery,
      breweryRoomJid,
      rules: config.dialOut,
      dialler: (req) => this.sip.placeCall(req),
      joinTimeoutMs: x.joinTimeoutMs,
      deps,
      logger: logger.child({ component: 'dial-out' }),
    });

    this.registry.on('reaped', (call) => {
      this.metrics.callsReapedTotal.inc();
      this.#log.error({ callId: call.id, room: call.roomJid }, 'bug: call whose SIP leg is gone was still up; reaping it');
    });
    this.registry.on('changed', () => {
      const s = this.registry.stats();
      this.metrics.callsActive.set(s.calls);
      this.metrics.draining.set(s.gracefulShutdown ? 1 : 0);
      void this.brewery.publish();
    });
    this.brewery.on('state', (state) => this.metrics.connectionUp.set({ peer: 'xmpp' }, state === 'joined' ? 1 : 0));
    this.drachtio.on('connected', () => this.metrics.connectionUp.set({ peer: 'drachtio' }, 1));
    this.drachtio.on('disconnected', () => this.metrics.connectionUp.set({ peer: 'drachtio' }, 0));
    this.freeswitch?.on('connected', () => this.metrics.connectionUp.set({ peer: 'freeswitch' }, 1));
    this.freeswitch?.on('disconnected', () => this.metrics.connectionUp.set({ peer: 'freeswitch' }, 0));
    this.sip.registrar?.on('state', (state) => this.metrics.connectionUp.set({ peer: 'registration' }, state === 'registered' ? 1 : 0));

    this.readiness = new Readiness(this.#readinessChecks());
    this.http = new HttpApi({
      host: config.http.host,
      port: config.http.port,
      logger: logger.child({ component: 'http' }),
      health: this.readiness.checks,
      stats: () => this.statsJson(),
      calls: () => this.callsJson(),
      metrics: this.metrics,
      version: config.version,
      ...(config.http.enableShutdown ? { shutdown: () => this.requestDrain() } : {}),
      ...(config.http.apiToken !== undefined ? { apiToken: config.http.apiToken } : {}),
      transfer: async (callId, to) => {
        const call = this.registry.get(callId);
        if (call === undefined) return undefined;
        if (!isOperatorTransferable(call)) return { kind: 'not-possible', reason: 'this call cannot be transferred' };
        return call.transferOut(to, OPERATOR_TRANSFER_WAIT_MS);
      },
    });
  }

  /**
   * Everything that makes a new call fail or be refused here. A balancer must stop sending calls
   * on any of them, so capacity counts too: at MAX_CALLS this instance is not ready (yet alive).
   */
  #readinessChecks(): ReadinessCheck[] {
    const dependency = RETRY_AFTER_SECONDS.dependency;
    const checks: ReadinessCheck[] = [
      { name: 'xmpp', retryAfterSeconds: dependency, problem: () => (this.brewery.state === 'joined' ? undefined : `brewery session is ${this.brewery.state}`) },
      { name: 'drachtio', retryAfterSeconds: dependency, problem: () => (this.drachtio.state === 'connected' ? undefined : `drachtio connection is ${this.drachtio.state}`) },
      { name: 'drain', retryAfterSeconds: RETRY_AFTER_SECONDS.draining, problem: () => (this.registry.draining ? 'graceful shutdown in progress' : undefined) },
      {
        name: 'capacity',
        retryAfterSeconds: RETRY_AFTER_SECONDS.capacity,
        problem: () => (this.registry.size >= this.config.maxCalls ? `at capacity: ${this.registry.size} of ${this.config.maxCalls} calls` : undefined),
      },
    ];
    const pool = this.workers;
    if (pool !== undefined) {
      checks.push({
        name: 'media',
        retryAfterSeconds: dependency,
        problem: () => {
          const down = pool.status().filter((w) => !w.serving);
          if (down.length === 0) return undefined;
          const d = pool.lastDeath;
          return `media worker ${down.map((w) => w.index).join(', ')} restarting${d === undefined ? '' : ` after: ${d.reason}`}`;
        },
      });
    }
    const fs = this.freeswitch;
    if (fs !== undefined) {
      checks.push({ name: 'freeswitch', retryAfterSeconds: dependency, problem: () => (fs.problem === undefined ? undefined : `FreeSWITCH is ${fs.state}: ${fs.problem}`) });
    }
    const registrar = this.sip.registrar;
    if (registrar !== undefined) {
      checks.push({ name: 'registration', retryAfterSeconds: dependency, problem: () => (registrar.state === 'registered' ? undefined : `registration is ${registrar.state}`) });
    }
    return checks;
  }

  /** Capacity and drain, and in FreeSWITCH mode whether there is a FreeSWITCH to answer with. */
  #admission(): AdmissionDecision {
    const decision = this.registry.admission();
    if (decision.refused) return decision;
    if (this.freeswitch !== undefined && this.freeswitch.state !== 'connected') return { refused: true, status: 503, reason: 'media server unavailable' };
    return decision;
  }

  /** jigasi's /about/stats keys, so existing dashboards keep working. */
  statsJson(): Record<string, unknown> {
    const s = this.registry.stats();
    return {
      conferences: s.conferences,
      participants: s.participants,
      calls: s.calls,
      stress_level: s.stressLevel,
      graceful_shutdown: s.gracefulShutdown,
      conference_sizes: s.conferenceSizes,
      total_calls: s.totalCalls,
      total_conferences_completed: s.totalCompleted,
      total_calls_failed: s.totalFailed,
      total_participants: s.totalCalls,
      dial_out_active: this.dialOut.active,
      ...(this.workers !== undefined ? { media_workers: this.#workersJson(this.workers) } : {}),
      region: this.config.region ?? null,
      version: this.config.version,
    };
  }

  /** GET /calls: every live call, oldest first. */
  callsJson(): { calls: Array<CallSnapshot & { mediaMode: string }> } {
    const mediaMode = this.config.media.mode;
    const calls = this.registry.all().map((c) => ({ ...c.snapshot(), mediaMode }));
    return { calls: calls.sort((a, b) => a.startedAt.localeCompare(b.startedAt)) };
  }

  #workersJson(pool: MediaWorkerPool): Record<string, unknown> {
    const d = pool.lastDeath;
    return {
      restarts: pool.restarts,
      last_death: d === undefined ? null : { worker: d.index, at: new Date(d.at).toISOString(), reason: d.reason },
      workers: pool.status().map((w) => ({
        index: w.index,
        serving: w.serving,
        calls: w.placedCalls,
        rooms: w.rooms,
        cpu_share: Math.round(w.busy * 1000) / 1000,
        late_ticks: w.lateTicks,
        skipped_ticks: w.skippedTicks,
        restarts: w.restarts,
      })),
    };
  }

  async start(): Promise<void> {
    // A worker that cannot start (a missing prompt file, a broken build) stops startup here.
    await this.workers?.ready();
    const addr = await this.http.start();
    this.#log.info({ http: `${addr.address}:${addr.port}` }, 'HTTP API listening');
    await this.dialIn?.start();
    this.brewery.on('joined', (jid) => this.#log.info({ occupant: jid }, 'joined the brewery'));
    this.brewery.on('left', (reason) => this.#log.warn({ reason }, 'left the brewery'));
    // Both connections retry forever in the background: startup doesn't wait for Prosody or
    // drachtio-server, and health reports what is still missing.
    this.drachtio.start();
    this.registry.startReaper(ORPHAN_SWEEP_MS);
    this.freeswitch?.start();
    this.sip.start();
    void this.brewery.start();
  }

  /** Stop taking calls, tell Jicofo, wait for calls to end (bounded by DRAIN_TIMEOUT). */
  async drain(): Promise<void> {
    this.registry.startDrain();
    if (this.registry.size > 0) {
      await new Promise<void>((resolve) => {
        this.registry.once('drained', resolve);
        this.#drainTimer = setTimeout(() => {
          this.#log.warn({ calls: this.registry.size }, 'drain timeout: hanging up the remaining calls');
          void this.registry.closeAll({ cls: 'normal', cause: 'drain-timeout', sipStatus: 503 }).then(resolve);
        }, this.config.timeouts.drainMs);
      });
    }
    await this.stop();
  }

  /** Hang up everything cleanly and release every resource. */
  async stopNow(): Promise<void> {
    this.registry.startDrain();
    await this.registry.closeAll({ cls: 'normal', cause: 'shutdown', sipStatus: 503 });
    await this.stop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#drainTimer);
    this.registry.stopReaper();
    const steps: Array<[string, () => Promise<void>]> = [
      ['sip', () => this.sip.stop()],
      ['brewery', () => this.brewery.stop()],
      ['drachtio', () => this.drachtio.close()],
      ['media', () => this.media.close()],
      ['freeswitch', async () => this.freeswitch?.stop()],
      ['http', () => this.http.stop()],
      ['dial-in', async () => this.dialIn?.stop()],
      ['cdr', () => this.cdr.flush()],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.#log.error({ err, step: name }, 'shutdown step failed');
      }
    }
  }
}
