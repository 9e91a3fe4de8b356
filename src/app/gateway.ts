import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { CallRegistry } from '../call/registry.js';
import { GatewayMetrics } from '../http/metrics.js';
import { HttpApi, type HealthCheck } from '../http/server.js';
import { BreweryClient } from '../xmpp/brewery/index.js';

/**
 * Composition root: builds every long-lived service from the config, starts them in dependency
 * order and stops them in reverse. Knows nothing of signals (see signals.ts).
 */
export class Gateway {
  readonly registry: CallRegistry;
  readonly metrics: GatewayMetrics;
  readonly brewery: BreweryClient;
  readonly http: HttpApi;
  readonly #log: Logger;
  #drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: GatewayConfig,
    logger: Logger,
    private readonly requestDrain: () => void,
  ) {
    this.#log = logger;
    this.registry = new CallRegistry(config.maxCalls);
    this.metrics = new GatewayMetrics();
    const x = config.xmpp;
    this.brewery = new BreweryClient({
      service: `${x.tls ? 'xmpps' : 'xmpp'}://${x.server}:${x.port}`,
      domain: x.authDomain,
      username: x.controlUser,
      password: x.controlPassword,
      allowPlain: x.allowPlain,
      breweryRoomJid: `${x.breweryMuc}@${x.internalMucDomain}`,
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
    this.registry.on('changed', () => {
      const s = this.registry.stats();
      this.metrics.callsActive.set(s.calls);
      this.metrics.draining.set(s.gracefulShutdown ? 1 : 0);
      void this.brewery.publish();
    });
    this.brewery.on('state', (state) => this.metrics.connectionUp.set({ peer: 'xmpp' }, state === 'joined' ? 1 : 0));

    const health: HealthCheck[] = [
      { name: 'xmpp', problem: () => (this.brewery.state === 'joined' ? undefined : `brewery session is ${this.brewery.state}`) },
      { name: 'drain', problem: () => (this.registry.draining ? 'graceful shutdown in progress' : undefined) },
    ];
    this.http = new HttpApi({
      host: config.http.host,
      port: config.http.port,
      logger: logger.child({ component: 'http' }),
      health,
      stats: () => this.statsJson(),
      metrics: this.metrics,
      version: config.version,
      ...(config.http.enableShutdown ? { shutdown: () => this.requestDrain() } : {}),
    });
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
      region: this.config.region ?? null,
      version: this.config.version,
    };
  }

  async start(): Promise<void> {
    const addr = await this.http.start();
    this.#log.info({ http: `${addr.address}:${addr.port}` }, 'HTTP API listening');
    // The brewery session retries forever in the background; startup doesn't wait for Prosody.
    void this.brewery.start();
    this.brewery.on('joined', (jid) => this.#log.info({ occupant: jid }, 'joined the brewery'));
    this.brewery.on('left', (reason) => this.#log.warn({ reason }, 'left the brewery'));
  }

  /** Stop taking calls, tell Jicofo, wait for calls to end (bounded by DRAIN_TIMEOUT). */
  async drain(): Promise<void> {
    this.registry.startDrain();
    if (this.registry.size > 0) {
      await new Promise<void>((resolve) => {
        this.registry.once('drained', resolve);
        this.#drainTimer = setTimeout(() => {
          this.#log.warn({ calls: this.registry.size }, 'drain timeout: hanging up the remaining calls');
          void this.registry.closeAll({ cls: 'normal', cause: 'drain-timeout' }).then(resolve);
        }, this.config.timeouts.drainMs);
      });
    }
    await this.stop();
  }

  /** Hang up everything cleanly and release every resource. */
  async stopNow(): Promise<void> {
    this.registry.startDrain();
    await this.registry.closeAll({ cls: 'normal', cause: 'shutdown' });
    await this.stop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#drainTimer);
    const steps: Array<[string, () => Promise<void>]> = [
      ['brewery', () => this.brewery.stop()],
      ['http', () => this.http.stop()],
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
