import type { AddressInfo } from 'node:net';
import { dialString } from '../config/dial-in-numbers.js';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { OneTapRules } from '../sip/pin/one-tap.js';
import { BuiltinConferenceMapper } from './conference-mapper.js';
import { DialInServer, type DialInServerOptions } from './http/dialin-server.js';
import type { PinStore } from './pin-store.js';
import { RedisPinStore } from './redis-pin-store.js';
import { SqlitePinStore } from './sqlite-pin-store.js';

/**
 * Dial-in out of the box: the built-in conference mapper (what the PIN prompt asks) and the
 * browser-facing endpoints Jitsi Meet's invite dialog reads, built from the config. Exists only
 * when CONFERENCE_MAPPER_URL is unset (an external mapper owns the PINs then) and
 * MAPPER_STORE is not none.
 */
export class DialIn {
  readonly mapper: BuiltinConferenceMapper;
  readonly server: DialInServer;
  /** What routing needs to take a PIN from the Request-URI. */
  readonly oneTapRules: OneTapRules;
  readonly #log: Logger;

  constructor(config: GatewayConfig, store: PinStore, logger: Logger, opts: { now?: () => number; onAnswered?: DialInServerOptions['onAnswered'] } = {}) {
    const d = config.dialIn;
    this.#log = logger;
    this.mapper = new BuiltinConferenceMapper({
      store,
      pinDigits: d.pinDigits,
      ttlMs: d.ttlMs,
      mucDomain: config.xmpp.mucDomain,
      logger,
      ...(opts.now ? { now: opts.now } : {}),
    });
    this.server = new DialInServer({
      host: d.host,
      port: d.port,
      mapper: this.mapper,
      numbers: d.numbers,
      numbersFormat: d.numbersFormat,
      corsOrigins: d.corsOrigins,
      trustedProxies: d.trustedProxies,
      rateLimit: d.rateLimit,
      lookupToken: d.lookupSecret,
      logger,
      ...(opts.onAnswered ? { onAnswered: opts.onAnswered } : {}),
    });
    this.oneTapRules = { ownNumbers: d.numbers.map((n) => dialString(n.formattedNumber)), pinDigits: d.pinDigits };
  }

  /** Undefined when the config leaves PINs to an external mapper or turns the built-in one off. */
  static fromConfig(config: GatewayConfig, logger: Logger, onAnswered?: DialInServerOptions['onAnswered']): DialIn | undefined {
    if (config.sip.conferenceMapperUrl !== undefined) return undefined;
    const s = config.dialIn.store;
    let store: PinStore;
    switch (s.kind) {
      case 'none':
        return undefined;
      case 'sqlite':
        store = SqlitePinStore.open(s.dataDir, config.dialIn.ttlMs);
        break;
      case 'redis':
        store = new RedisPinStore({ url: s.url, password: s.password, ttlMs: config.dialIn.ttlMs, logger });
        break;
    }
    return new DialIn(config, store, logger, onAnswered ? { onAnswered } : {});
  }

  async start(): Promise<AddressInfo> {
    const addr = await this.server.start();
    this.mapper.startSweeper();
    this.#log.info({ http: `${addr.address}:${addr.port}` }, 'dial-in endpoints listening (conferenceMapper, phoneNumberList, dialInInfo)');
    return addr;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.mapper.close();
  }
}
