/** The gateway's whole configuration, parsed and validated once at startup (see load.ts). */

import type { CallerSrtpPolicy } from '../media/caller/sdes.js';
import type { CallerRtcpMode } from '../media/caller/endpoint-types.js';
import type { DialInNumber } from './dial-in-numbers.js';
import type { ReferPolicy } from './refer-policy.js';

export type SipTransport = 'udp' | 'tcp' | 'tls';
export type MediaMode = 'direct' | 'freeswitch';
/** JIGASI_SIP_KEEP_ALIVE_METHOD; drachtio-server's app API cannot send a bare CRLF, so 'crlf' is sent as OPTIONS. */
export type SipKeepAliveMethod = 'options' | 'crlf' | 'none';

export interface XmppConfig {
  /** Host and port of the XMPP client-to-server listener (XMPP_SERVER / XMPP_PORT). */
  server: string;
  port: number;
  /** Main virtual host; anonymous per-call sessions log in here by default (XMPP_DOMAIN). */
  domain: string;
  /** Host of the gateway's control account (XMPP_AUTH_DOMAIN). */
  authDomain: string;
  /** Anonymous host used for per-call sessions when auth is enabled with guests (XMPP_GUEST_DOMAIN). */
  guestDomain: string | undefined;
  /** Where conference rooms live (XMPP_MUC_DOMAIN). */
  mucDomain: string;
  /** Where the brewery lives (XMPP_INTERNAL_MUC_DOMAIN). */
  internalMucDomain: string;
  /** JID of Jicofo's focus component, `focus.<domain>` unless overridden (XMPP_FOCUS_DOMAIN). */
  focusJid: string;
  /** Control account: `user@authDomain` (JIGASI_XMPP_USER / JIGASI_XMPP_PASSWORD). */
  controlUser: string;
  controlPassword: string;
  /** Brewery room local part (JIGASI_BREWERY_MUC). */
  breweryMuc: string;
  /**
   * How per-call sessions log in: anonymously on `domain` (or `guestDomain`), or with an
   * account (JIGASI_XMPP_CALL_USER / JIGASI_XMPP_CALL_PASSWORD, on `authDomain`).
   */
  callLogin: { mode: 'anonymous'; domain: string } | { mode: 'password'; domain: string; username: string; password: string };
  /**
   * Allow SASL PLAIN over an unencrypted stream (XMPP_ALLOW_PLAIN, default true: docker-jitsi-meet's
   * Prosody listens without TLS on its internal network).
   */
  allowPlain: boolean;
  /** Use TLS on the stream (XMPP_TLS, default false: internal network). */
  tls: boolean;
  /** Seconds a call waits for the MUC join / conference IQ answers. */
  joinTimeoutMs: number;
}

export interface SipConfig {
  /** The account URI, e.g. sip:jigasi@pbx.example.com (JIGASI_SIP_URI). */
  uri: string | undefined;
  password: string | undefined;
  /** Registrar / outbound proxy; registration is enabled when set (JIGASI_SIP_SERVER). */
  server: string | undefined;
  /** Whether to REGISTER at `server` (SIP_REGISTER); false for a trunk that needs no registration. */
  register: boolean;
  port: number;
  transport: SipTransport;
  /** Room used when an INVITE names none (JIGASI_SIP_DEFAULT_ROOM). */
  defaultRoom: string | undefined;
  /** Registration expiry asked for, seconds (JIGASI_SIP_REGISTER_EXPIRES, 600). */
  registerExpires: number;
  /** How the registrar is probed while registered (JIGASI_SIP_KEEP_ALIVE_METHOD, OPTIONS). */
  keepAliveMethod: SipKeepAliveMethod;
  /** Seconds between keep-alives (SIP_KEEP_ALIVE_INTERVAL, 25). */
  keepAliveIntervalSeconds: number;
  /** Header names that carry the room, tried in order. */
  roomHeaders: string[];
  roomPasswordHeader: string;
  domainBaseHeaders: string[];
  tenantHeader: string;
  /** CIDR list of sources allowed to call without authentication (SIP_TRUSTED_NETWORKS). */
  trustedNetworks: string[];
  /** Digest credentials callers must present when not trusted (SIP_INBOUND_USERS=user:pass,...). */
  inboundUsers: Array<{ username: string; password: string }>;
  /** Digest realm for challenges (SIP_REALM). */
  realm: string;
  /** Per-source throttling of out-of-dialog INVITE and OPTIONS (SIP_RATE_LIMIT*). */
  rateLimit: SipRateLimit;
  /** File mapping dialled numbers to rooms (SIP_NUMBER_MAP_FILE), parsed at startup. */
  numberMap: Record<string, string>;
  /** Caller number → the name the meeting sees, from the same file (a PBX's directory). */
  callerNames: Record<string, string>;
  /** Whether and where a phone may transfer its call by REFER (SIP_REFER_POLICY, deny). */
  referPolicy: ReferPolicy;
  /** Jitsi conference mapper API for PIN lookup (CONFERENCE_MAPPER_URL). */
  conferenceMapperUrl: string | undefined;
  /** Prefix put before dialled numbers on outbound calls (JIGASI_SIP_OUTBOUND_PREFIX). */
  outboundPrefix: string;
}

/** SIP_RATE_LIMIT_ACTION: answer a throttled request 503, or leave it unanswered. */
export type SipRateLimitAction = 'reject' | 'drop';

export interface SipRateLimit {
  /** Sustained requests per second per source address; 0 turns throttling off. */
  perSecond: number;
  /** Requests a source may send at once (the bucket's size). */
  burst: number;
  action: SipRateLimitAction;
}

export interface DialOutConfig {
  /** A dialled number must match this (DIALOUT_ALLOWED_NUMBERS). */
  allowedNumbers: RegExp;
  maxPerRoom: number;
  ringTimeoutMs: number;
  /** Brewery nicks whose <dial> requests are obeyed (DIALOUT_FOCUS_NICKS). */
  focusNicks: string[];
}

export interface DrachtioConfig {
  host: string;
  port: number;
  secret: string;
}

export interface FreeswitchConfig {
  host: string;
  port: number;
  secret: string;
  /** Where our outbound event socket listener binds (FreeSWITCH connects to it per channel). */
  listenAddress: string;
  /** 0 picks a free port. */
  listenPort: number;
  /** What FreeSWITCH is told to connect back to, when not listenAddress. */
  advertisedAddress: string | undefined;
  /** SIP profile drachtio-server sends the media INVITEs to (drachtio_mrf in the stock image). */
  profile: string;
  /** Directory of the prompts as FreeSWITCH sees it. */
  promptDir: string;
}

export interface MediaConfig {
  mode: MediaMode;
  /** Address put in SDP and ICE candidates (MEDIA_ADDRESS). */
  address: string;
  /** Address sockets bind to (MEDIA_BIND_ADDRESS, default = address). */
  bindAddress: string;
  portMin: number;
  portMax: number;
  /** Opus encoder complexity 0-10 (OPUS_COMPLEXITY, 1). */
  opusComplexity: number;
  /** Media worker threads (MEDIA_WORKERS); 0: the media engine runs in the main thread. */
  workers: number;
  /** SDES-SRTP on the phone's RTP (CALLER_SRTP, optional). */
  callerSrtp: CallerSrtpPolicy;
  /** RTCP with phones (CALLER_RTCP, on). */
  callerRtcp: CallerRtcpMode;
  /** RNNoise on the caller's audio unless a call's header says otherwise (NOISE_SUPPRESSION, false). */
  noiseSuppression: boolean;
}

export interface TimeoutsConfig {
  /** Wait for the room header / routing, ms (jigasi: 1 s). */
  roomHeaderMs: number;
  /** Wait for session-initiate after joining, ms (JIGASI_JVB_TIMEOUT, 30 s). */
  sessionInitiateMs: number;
  /** Drop the call when no bridge media arrives this long after ICE, ms (5 s). */
  bridgeMediaMs: number;
  /** Caller RTP silence that is logged, ms (10 s). */
  callerRtpMs: number;
  /** Hang up when the caller's RTP stops this long; 0 = never (CALLER_RTP_TIMEOUT_HANGUP). */
  callerRtpHangup: boolean;
  /** Keep the caller after session-terminate waiting for a new session-initiate, ms (30 s). */
  resumeWindowMs: number;
  /**
   * Keep a call whose per-call XMPP connection dropped while reconnecting, rejoining and waiting
   * for the focus' new session, ms (XMPP_RECONNECT_WINDOW, given in seconds, 30 s); 0 = never.
   */
  xmppReconnectWindowMs: number;
  /** Upper bound of a graceful drain, ms (DRAIN_TIMEOUT, 1 h). */
  drainMs: number;
}

export interface HttpConfig {
  host: string;
  port: number;
  /** Whether POST /about/shutdown is served (ENABLE_REST_SHUTDOWN; it needs apiToken too). */
  enableShutdown: boolean;
  /** Bearer token of every state-changing endpoint (HTTP_API_TOKEN); unset: those endpoints are off. */
  apiToken: string | undefined;
}

/** array: Jitsi Meet's current `[{countryCode, tollFree, formattedNumber}]`; object: the older `{numbers, numbersEnabled}`. */
export type NumbersFormat = 'array' | 'object';

/** Where the built-in conference mapper keeps meeting ↔ PIN (MAPPER_STORE); none turns it off. */
export type MapperStoreConfig =
  | { kind: 'sqlite'; dataDir: string }
  | { kind: 'redis'; url: string; password: string | undefined }
  | { kind: 'none' };

/** The built-in conference mapper and the dial-in endpoints Jitsi Meet reads (DIAL_IN_*, MAPPER_*). */
export interface DialInConfig {
  /** Shown in Jitsi Meet's invite dialog (DIAL_IN_NUMBERS), in the order given. */
  numbers: DialInNumber[];
  /** phoneNumberList's shape (DIAL_IN_NUMBERS_FORMAT). */
  numbersFormat: NumbersFormat;
  store: MapperStoreConfig;
  /** Digits of a new PIN, 6-10 (MAPPER_PIN_DIGITS). */
  pinDigits: number;
  /** A mapping nobody asked for (web page or phone) this long is forgotten, ms (MAPPER_TTL_DAYS). */
  ttlMs: number;
  /** The browser-facing listener, apart from the operator API (DIALIN_HTTP_HOST / DIALIN_HTTP_PORT). */
  host: string;
  port: number;
  /** Origins allowed by CORS; ['*'] allows any (DIALIN_CORS_ORIGINS). */
  corsOrigins: string[];
  /** Peers whose X-Forwarded-For / X-Real-IP name the client, e.g. the web container's nginx (DIALIN_TRUSTED_PROXIES). */
  trustedProxies: string[];
  /** Requests per second one client address may make, sustained, and at once (DIALIN_RATE_LIMIT*). */
  rateLimit: { perSecond: number; burst: number };
  /** Bearer token of the PIN → meeting endpoint for external IVRs; unset: no such endpoint (DIALIN_LOOKUP_TOKEN). Named *Secret so the logged config redacts it. */
  lookupSecret: string | undefined;
}

export interface GatewayConfig {
  xmpp: XmppConfig;
  sip: SipConfig;
  dialOut: DialOutConfig;
  drachtio: DrachtioConfig;
  freeswitch: FreeswitchConfig;
  media: MediaConfig;
  timeouts: TimeoutsConfig;
  http: HttpConfig;
  dialIn: DialInConfig;
  /** Max concurrent calls before 503 (MAX_CALLS). */
  maxCalls: number;
  /** Region published in brewery stats and presence (JIGASI_LOCAL_REGION). */
  region: string | undefined;
  /** Published as <stats-id> in presence (JIGASI_STATS_ID). */
  statsId: string | undefined;
  /** Whether the caller gets the audio-mute feature (ENABLE_SIP_STARTMUTED semantics). */
  enableAudioMute: boolean;
  logLevel: string;
  /** File the call detail records are appended to as JSON lines (CDR_FILE); unset: log only. */
  cdrFile: string | undefined;
  version: string;
}
