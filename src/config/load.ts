import { readFileSync } from 'node:fs';
import type { CallerSrtpPolicy } from '../media/caller/sdes.js';
import type { CallerRtcpMode } from '../media/caller/endpoint-types.js';
import { availableParallelism } from 'node:os';
import { parseDialInNumbers } from './dial-in-numbers.js';
import { FIELDS, FIELD_NAMES } from './fields.js';
import { parseNumberDirectory, type NumberDirectory } from './number-map.js';
import { parseReferPolicy } from './refer-policy.js';
import {
  isIpv4,
  parseBoolean,
  parseCidrList,
  parseEnum,
  parseHttpUrl,
  parseInteger,
  parseList,
  parseSipUri,
  parseString,
  parseUserList,
  type Parsed,
} from './parse.js';
import type { DialInConfig, GatewayConfig, MediaMode, SipKeepAliveMethod, SipTransport } from './types.js';

/** Startup stops with this when the configuration has problems; it lists all of them. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Path of an optional file (JSON object or KEY=VALUE lines) with the same names as the env. */
  file?: string | undefined;
  readFile?: (path: string) => string;
  version?: string;
}

/** Merges defaults ← file ← env, then parses and validates everything in one pass. */
export function loadConfig(sources: ConfigSources): GatewayConfig {
  const readFile = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const problems: string[] = [];
  const raw = new Map<string, string>();
  for (const f of FIELDS) if (f.default !== undefined) raw.set(f.name, f.default);

  const filePath = sources.file ?? sources.env['CONFIG_FILE'];
  if (filePath !== undefined && filePath !== '') {
    for (const [k, v] of readConfigFile(filePath, readFile, problems)) raw.set(k, v);
  }
  for (const f of FIELDS) {
    const v = sources.env[f.name];
    if (v !== undefined) raw.set(f.name, v);
  }

  const r = new FieldReader(raw, problems);
  const config = build(r, readFile, sources.version ?? '0.0.0');
  crossCheck(config, raw, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readConfigFile(path: string, readFile: (p: string) => string, problems: string[]): Map<string, string> {
  const out = new Map<string, string>();
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    problems.push(`CONFIG_FILE: cannot read ${path}: ${(err as Error).message}`);
    return out;
  }
  const add = (k: string, v: unknown, where: string): void => {
    if (!FIELD_NAMES.has(k)) problems.push(`${where}: unknown setting '${k}'`);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.set(k, String(v));
    else problems.push(`${where}: '${k}' must be a string, number or boolean`);
  };
  if (text.trim().startsWith('{')) {
    try {
      const obj: unknown = JSON.parse(text);
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('not an object');
      for (const [k, v] of Object.entries(obj)) add(k, v, path);
    } catch (err) {
      problems.push(`${path}: invalid JSON: ${(err as Error).message}`);
    }
    return out;
  }
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.trim();
    if (s === '' || s.startsWith('#')) return;
    const eq = s.indexOf('=');
    if (eq <= 0) {
      problems.push(`${path}:${i + 1}: expected KEY=VALUE`);
      return;
    }
    add(s.slice(0, eq).trim(), s.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'), `${path}:${i + 1}`);
  });
  return out;
}

/** Reads typed values out of the merged raw map, recording a problem per bad field. */
class FieldReader {
  constructor(
    private readonly raw: Map<string, string>,
    private readonly problems: string[],
  ) {}

  has(name: string): boolean {
    const v = this.raw.get(name);
    return v !== undefined && v.trim() !== '';
  }

  optional<T>(name: string, parse: (s: string) => Parsed<T>): T | undefined {
    if (!this.has(name)) return undefined;
    const p = parse(this.raw.get(name) ?? '');
    if (p.ok) return p.value;
    this.problems.push(`${name}: ${p.problem}`);
    return undefined;
  }

  required<T>(name: string, parse: (s: string) => Parsed<T>, fallback: T): T {
    if (!this.has(name)) {
      this.problems.push(`${name}: is required`);
      return fallback;
    }
    return this.optional(name, parse) ?? fallback;
  }

  str(name: string): string {
    return this.raw.get(name)?.trim() ?? '';
  }
  optStr(name: string): string | undefined {
    return this.optional(name, parseString);
  }
  int(name: string, min: number, max: number): number {
    return this.optional(name, (s) => parseInteger(s, min, max)) ?? min;
  }
  bool(name: string): boolean {
    return this.optional(name, parseBoolean) ?? false;
  }
  list(name: string): string[] {
    return this.optional(name, parseList) ?? [];
  }
}

const DAY_MS = 86_400_000;

function build(r: FieldReader, readFile: (p: string) => string, version: string): GatewayConfig {
  const domain = r.str('XMPP_DOMAIN');
  const authDomain = r.str('XMPP_AUTH_DOMAIN');
  const enableAuth = r.bool('ENABLE_AUTH');
  const enableGuests = r.bool('ENABLE_GUESTS');
  const guestDomain = r.optStr('XMPP_GUEST_DOMAIN');
  const controlUser = r.str('JIGASI_XMPP_USER');
  const controlPassword = r.required('JIGASI_XMPP_PASSWORD', parseString, '');

  const callLogin: GatewayConfig['xmpp']['callLogin'] =
    enableAuth && !enableGuests
      ? { mode: 'password', domain: authDomain, username: controlUser, password: controlPassword }
      : { mode: 'anonymous', domain: enableAuth && guestDomain !== undefined ? guestDomain : domain };

  let directory: NumberDirectory = { rooms: {}, names: {} };
  const mapFile = r.optStr('SIP_NUMBER_MAP_FILE');
  if (mapFile !== undefined) {
    directory =
      r.optional('SIP_NUMBER_MAP_FILE', () => {
        try {
          return parseNumberDirectory(readFile(mapFile));
        } catch (err) {
          return { ok: false, problem: `cannot read ${mapFile}: ${(err as Error).message}` };
        }
      }) ?? directory;
  }

  const mediaAddress = r.str('MEDIA_ADDRESS');
  return {
    xmpp: {
      server: r.str('XMPP_SERVER'),
      port: r.int('XMPP_PORT', 1, 65535),
      domain,
      authDomain,
      guestDomain,
      mucDomain: r.str('XMPP_MUC_DOMAIN'),
      internalMucDomain: r.str('XMPP_INTERNAL_MUC_DOMAIN'),
      focusJid: r.optStr('XMPP_FOCUS_JID') ?? `focus.${domain}`,
      controlUser,
      controlPassword,
      breweryMuc: r.str('JIGASI_BREWERY_MUC'),
      callLogin,
      allowPlain: r.bool('XMPP_ALLOW_PLAIN'),
      tls: r.bool('XMPP_TLS'),
      joinTimeoutMs: r.int('XMPP_JOIN_TIMEOUT', 100, DAY_MS),
    },
    sip: {
      uri: r.optional('JIGASI_SIP_URI', parseSipUri),
      password: r.optStr('JIGASI_SIP_PASSWORD'),
      server: r.optStr('JIGASI_SIP_SERVER'),
      register: r.bool('SIP_REGISTER'),
      port: r.int('JIGASI_SIP_PORT', 1, 65535),
      transport: (r.optional('JIGASI_SIP_TRANSPORT', (s) => parseEnum<SipTransport>(s, ['udp', 'tcp', 'tls'])) ?? 'udp'),
      defaultRoom: r.optStr('JIGASI_SIP_DEFAULT_ROOM'),
      registerExpires: r.int('JIGASI_SIP_REGISTER_EXPIRES', 60, 86_400),
      keepAliveMethod: r.optional('JIGASI_SIP_KEEP_ALIVE_METHOD', (s) => parseEnum<SipKeepAliveMethod>(s, ['options', 'crlf', 'none'])) ?? 'options',
      keepAliveIntervalSeconds: r.int('SIP_KEEP_ALIVE_INTERVAL', 5, 3600),
      roomHeaders: r.list('SIP_ROOM_HEADERS'),
      roomPasswordHeader: r.str('SIP_ROOM_PASSWORD_HEADER'),
      domainBaseHeaders: r.list('SIP_DOMAIN_BASE_HEADERS'),
      tenantHeader: r.str('SIP_TENANT_HEADER'),
      trustedNetworks: r.optional('SIP_TRUSTED_NETWORKS', parseCidrList) ?? [],
      inboundUsers: r.optional('SIP_INBOUND_USERS', parseUserList) ?? [],
      realm: r.str('SIP_REALM'),
      rateLimit: {
        perSecond: r.int('SIP_RATE_LIMIT', 0, 100_000),
        burst: r.int('SIP_RATE_LIMIT_BURST', 1, 100_000),
        action: r.optional('SIP_RATE_LIMIT_ACTION', (s) => parseEnum(s, ['503', 'drop'])) === 'drop' ? 'drop' : 'reject',
      },
      numberMap: directory.rooms,
      callerNames: directory.names,
      referPolicy: r.optional('SIP_REFER_POLICY', parseReferPolicy) ?? { kind: 'deny' },
      conferenceMapperUrl: r.optional('CONFERENCE_MAPPER_URL', parseHttpUrl),
      outboundPrefix: r.str('JIGASI_SIP_OUTBOUND_PREFIX'),
    },
    dialOut: {
      allowedNumbers:
        r.optional('DIALOUT_ALLOWED_NUMBERS', (v) => {
          try {
            return { ok: true, value: new RegExp(v) };
          } catch (err) {
            return { ok: false, problem: `not a regular expression: ${(err as Error).message}` };
          }
        }) ?? /^$/,
      maxPerRoom: r.int('DIALOUT_MAX_PER_ROOM', 0, 1000),
      ringTimeoutMs: r.int('DIALOUT_RING_TIMEOUT', 1000, DAY_MS),
      focusNicks: r.list('DIALOUT_FOCUS_NICKS'),
    },
    drachtio: {
      host: r.str('DRACHTIO_HOST'),
      port: r.int('DRACHTIO_PORT', 1, 65535),
      secret: r.str('DRACHTIO_SECRET'),
    },
    freeswitch: {
      host: r.str('FREESWITCH_HOST'),
      port: r.int('FREESWITCH_PORT', 1, 65535),
      secret: r.str('FREESWITCH_SECRET'),
      listenAddress: r.str('FREESWITCH_LISTEN_ADDRESS'),
      listenPort: r.int('FREESWITCH_LISTEN_PORT', 0, 65535),
      advertisedAddress: r.optStr('FREESWITCH_ADVERTISED_ADDRESS'),
      profile: r.str('FREESWITCH_PROFILE'),
      promptDir: r.str('FREESWITCH_PROMPT_DIR'),
    },
    media: {
      mode: r.optional('MEDIA_MODE', (s) => parseEnum<MediaMode>(s, ['direct', 'freeswitch'])) ?? 'direct',
      address: mediaAddress,
      bindAddress: r.optStr('MEDIA_BIND_ADDRESS') ?? mediaAddress,
      portMin: r.int('JIGASI_PORT_MIN', 1024, 65535),
      portMax: r.int('JIGASI_PORT_MAX', 1024, 65535),
      opusComplexity: r.int('OPUS_COMPLEXITY', 0, 10),
      workers: r.optional('MEDIA_WORKERS', parseWorkerCount) ?? availableParallelism(),
      callerSrtp: r.optional('CALLER_SRTP', (s) => parseEnum<CallerSrtpPolicy>(s, ['off', 'optional', 'required'])) ?? 'optional',
      callerRtcp: r.optional('CALLER_RTCP', (s) => parseEnum<CallerRtcpMode>(s, ['on', 'mux', 'off'])) ?? 'on',
      noiseSuppression: r.bool('NOISE_SUPPRESSION'),
    },
    timeouts: {
      roomHeaderMs: r.int('ROOM_HEADER_TIMEOUT', 0, DAY_MS),
      sessionInitiateMs: r.int('JIGASI_JVB_TIMEOUT', 1000, DAY_MS),
      bridgeMediaMs: r.int('BRIDGE_MEDIA_TIMEOUT', 500, DAY_MS),
      callerRtpMs: r.int('CALLER_RTP_TIMEOUT', 500, DAY_MS),
      callerRtpHangup: r.bool('CALLER_RTP_TIMEOUT_HANGUP'),
      resumeWindowMs: r.int('RESUME_WINDOW', 0, DAY_MS),
      xmppReconnectWindowMs: r.int('XMPP_RECONNECT_WINDOW', 0, 3600) * 1000,
      drainMs: r.int('DRAIN_TIMEOUT', 0, 7 * DAY_MS),
    },
    http: {
      host: r.str('HTTP_HOST'),
      port: r.int('HTTP_PORT', 0, 65535),
      enableShutdown: r.bool('ENABLE_REST_SHUTDOWN'),
      apiToken: r.optStr('HTTP_API_TOKEN'),
    },
    dialIn: dialInConfig(r),
    maxCalls: r.int('MAX_CALLS', 1, 100_000),
    region: r.optStr('JIGASI_LOCAL_REGION'),
    statsId: r.optStr('JIGASI_STATS_ID'),
    enableAudioMute: r.bool('SIP_AUDIO_MUTE_FEATURE'),
    logLevel: r.optional('LOG_LEVEL', (s) => parseEnum(s, ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])) ?? 'info',
    cdrFile: r.optStr('CDR_FILE'),
    version,
  };
}

function dialInConfig(r: FieldReader): DialInConfig {
  const kind = r.optional('MAPPER_STORE', (s) => parseEnum(s, ['sqlite', 'redis', 'none'] as const)) ?? 'sqlite';
  const store: DialInConfig['store'] =
    kind === 'redis'
      ? { kind, url: r.optional('MAPPER_REDIS_URL', parseRedisUrl) ?? '', password: r.optStr('MAPPER_REDIS_PASSWORD') }
      : kind === 'sqlite'
        ? { kind, dataDir: r.str('MAPPER_DATA_DIR') }
        : { kind };
  return {
    numbers: r.optional('DIAL_IN_NUMBERS', parseDialInNumbers) ?? [],
    numbersFormat: r.optional('DIAL_IN_NUMBERS_FORMAT', (s) => parseEnum(s, ['array', 'object'] as const)) ?? 'array',
    store,
    pinDigits: r.int('MAPPER_PIN_DIGITS', 6, 10),
    ttlMs: r.int('MAPPER_TTL_DAYS', 1, 3650) * DAY_MS,
    host: r.str('DIALIN_HTTP_HOST'),
    port: r.int('DIALIN_HTTP_PORT', 0, 65535),
    corsOrigins: r.list('DIALIN_CORS_ORIGINS'),
    trustedProxies: r.optional('DIALIN_TRUSTED_PROXIES', parseCidrList) ?? [],
    rateLimit: { perSecond: r.int('DIALIN_RATE_LIMIT', 0, 100_000), burst: r.int('DIALIN_RATE_LIMIT_BURST', 1, 100_000) },
    lookupSecret: r.optStr('DIALIN_LOOKUP_TOKEN'),
  };
}

function parseRedisUrl(raw: string): Parsed<string> {
  try {
    const u = new URL(raw.trim());
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return { ok: false, problem: `'${raw}' is not a redis:// or rediss:// URL` };
    if (u.password !== '') return { ok: false, problem: 'put the password in MAPPER_REDIS_PASSWORD, not in the URL (the URL is logged)' };
    return { ok: true, value: u.toString() };
  } catch {
    return { ok: false, problem: `'${raw}' is not a URL` };
  }
}

function crossCheck(c: GatewayConfig, raw: Map<string, string>, problems: string[]): void {
  const need = (cond: boolean, msg: string): void => {
    if (!cond) problems.push(msg);
  };
  for (const [name, value] of [
    ['XMPP_SERVER', c.xmpp.server],
    ['XMPP_DOMAIN', c.xmpp.domain],
    ['XMPP_AUTH_DOMAIN', c.xmpp.authDomain],
    ['XMPP_MUC_DOMAIN', c.xmpp.mucDomain],
    ['XMPP_INTERNAL_MUC_DOMAIN', c.xmpp.internalMucDomain],
    ['JIGASI_XMPP_USER', c.xmpp.controlUser],
    ['JIGASI_BREWERY_MUC', c.xmpp.breweryMuc],
    ['DRACHTIO_HOST', c.drachtio.host],
    ['HTTP_HOST', c.http.host],
  ] as const) {
    need(value !== '', `${name}: must not be empty`);
  }
  need(c.media.portMin <= c.media.portMax, `JIGASI_PORT_MIN (${c.media.portMin}) must not exceed JIGASI_PORT_MAX (${c.media.portMax})`);
  need(isIpv4(c.media.address), `MEDIA_ADDRESS: '${c.media.address}' must be an IPv4 address (it goes into SDP and ICE candidates)`);
  need(isIpv4(c.media.bindAddress), `MEDIA_BIND_ADDRESS: '${c.media.bindAddress}' must be an IPv4 address`);
  if (c.sip.server !== undefined && c.sip.register) {
    need(c.sip.uri !== undefined, 'JIGASI_SIP_URI: is required when JIGASI_SIP_SERVER is set (registration; SIP_REGISTER=false for a trunk without it)');
    need(c.sip.password !== undefined, 'JIGASI_SIP_PASSWORD: is required when JIGASI_SIP_SERVER is set (registration; SIP_REGISTER=false for a trunk without it)');
  }
  need(c.sip.roomHeaders.length > 0, 'SIP_ROOM_HEADERS: must name at least one header');
  if (c.http.apiToken !== undefined) need(c.http.apiToken.length >= 16, 'HTTP_API_TOKEN: must be at least 16 characters (it guards transfers and shutdown)');
  if (c.xmpp.callLogin.mode === 'anonymous' && raw.get('ENABLE_AUTH') !== undefined && c.xmpp.callLogin.domain === '') {
    problems.push('XMPP_GUEST_DOMAIN: must not be empty with ENABLE_AUTH and ENABLE_GUESTS');
  }
  if (c.dialIn.store.kind === 'sqlite') need(c.dialIn.store.dataDir !== '', 'MAPPER_DATA_DIR: must not be empty with MAPPER_STORE=sqlite');
  need(c.dialIn.host !== '', 'DIALIN_HTTP_HOST: must not be empty');
  if (c.dialIn.lookupSecret !== undefined) need(c.dialIn.lookupSecret.length >= 16, 'DIALIN_LOOKUP_TOKEN: must be at least 16 characters (it guards every meeting name)');
  if (c.media.mode === 'freeswitch') {
    need(c.freeswitch.host !== '', 'FREESWITCH_HOST: must not be empty with MEDIA_MODE=freeswitch');
    need(c.freeswitch.profile !== '', 'FREESWITCH_PROFILE: must not be empty with MEDIA_MODE=freeswitch');
    need(c.freeswitch.promptDir.startsWith('/'), `FREESWITCH_PROMPT_DIR: '${c.freeswitch.promptDir}' must be an absolute path (FreeSWITCH resolves it)`);
  }
}

/** The config as it may be logged: secrets replaced. */
export function redactedConfig(c: GatewayConfig): unknown {
  return JSON.parse(
    JSON.stringify(c, (key, value: unknown) =>
      /(password|secret|token)$/i.test(key) && typeof value === 'string' && value !== '' ? '[redacted]' : value,
    ),
  );
}

/** MEDIA_WORKERS: `auto` is one per CPU this process may use. */
function parseWorkerCount(s: string): Parsed<number> {
  if (s.trim().toLowerCase() === 'auto') return { ok: true, value: availableParallelism() };
  return parseInteger(s, 0, 256);
}
