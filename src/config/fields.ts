/**
 * Every setting the gateway reads, with its default and meaning. The names are docker-jitsi-meet's
 * where jigasi already has one, so an existing `.env` keeps working. The README's table is checked
 * against this list by a unit test.
 */
export interface FieldSpec {
  readonly name: string;
  /** Default as text (parsed like any other value); undefined = unset. */
  readonly default?: string;
  readonly secret?: boolean;
  readonly description: string;
}

export const FIELDS: readonly FieldSpec[] = [
  // XMPP (docker-jitsi-meet names)
  { name: 'XMPP_SERVER', default: 'xmpp.meet.jitsi', description: 'Prosody host for client connections' },
  { name: 'XMPP_PORT', default: '5222', description: 'Prosody client port' },
  { name: 'XMPP_DOMAIN', default: 'meet.jitsi', description: 'Main XMPP domain; anonymous call sessions log in here' },
  { name: 'XMPP_AUTH_DOMAIN', default: 'auth.meet.jitsi', description: "Domain of the gateway's account" },
  { name: 'XMPP_GUEST_DOMAIN', default: 'guest.meet.jitsi', description: 'Anonymous domain for call sessions when ENABLE_AUTH and ENABLE_GUESTS are set' },
  { name: 'XMPP_MUC_DOMAIN', default: 'muc.meet.jitsi', description: 'Conference rooms domain' },
  { name: 'XMPP_INTERNAL_MUC_DOMAIN', default: 'internal-muc.meet.jitsi', description: 'Domain of the brewery room' },
  { name: 'XMPP_FOCUS_JID', description: "Jicofo's address for conference requests (default focus.<XMPP_DOMAIN>)" },
  { name: 'XMPP_ALLOW_PLAIN', default: 'true', description: 'Allow SASL PLAIN on an unencrypted stream (internal networks)' },
  { name: 'XMPP_TLS', default: 'false', description: 'Use direct TLS to Prosody' },
  { name: 'XMPP_JOIN_TIMEOUT', default: '10000', description: 'ms to wait for the focus answer and the room join' },
  { name: 'ENABLE_AUTH', default: 'false', description: 'Rooms need authentication: call sessions log in with the gateway account (or as guests)' },
  { name: 'ENABLE_GUESTS', default: 'false', description: 'With ENABLE_AUTH, call sessions join anonymously on XMPP_GUEST_DOMAIN' },
  { name: 'JIGASI_XMPP_USER', default: 'jigasi', description: 'Gateway account (user part) on XMPP_AUTH_DOMAIN' },
  { name: 'JIGASI_XMPP_PASSWORD', secret: true, description: 'Gateway account password (required)' },
  { name: 'JIGASI_BREWERY_MUC', default: 'jigasibrewery', description: 'Brewery room where Jicofo finds SIP gateways' },
  // SIP
  { name: 'JIGASI_SIP_URI', description: 'SIP account to register, e.g. sip:jitsi@pbx.example.com' },
  { name: 'JIGASI_SIP_PASSWORD', secret: true, description: 'Digest password of JIGASI_SIP_URI' },
  { name: 'JIGASI_SIP_SERVER', description: 'Registrar/proxy (dial-outs go there too); registration is on when set' },
  { name: 'SIP_REGISTER', default: 'true', description: 'false: do not REGISTER at JIGASI_SIP_SERVER (a trunk that takes calls by source address); dial-outs still go there' },
  { name: 'JIGASI_SIP_PORT', default: '5060', description: 'Registrar port' },
  { name: 'JIGASI_SIP_TRANSPORT', default: 'UDP', description: 'UDP, TCP or TLS toward the registrar' },
  { name: 'JIGASI_SIP_DEFAULT_ROOM', description: 'Room for calls that name none (else the PIN prompt, else 404)' },
  { name: 'JIGASI_SIP_REGISTER_EXPIRES', default: '600', description: 'Registration expiry asked for, seconds' },
  { name: 'JIGASI_SIP_KEEP_ALIVE_METHOD', default: 'OPTIONS', description: 'Keep-alive toward the registrar while registered: OPTIONS, CRLF (sent as OPTIONS) or NONE' },
  { name: 'SIP_KEEP_ALIVE_INTERVAL', default: '25', description: 'Seconds between keep-alives (5-3600)' },
  { name: 'JIGASI_SIP_OUTBOUND_PREFIX', default: '', description: 'Prefix put before numbers dialled out' },
  { name: 'SIP_ROOM_HEADERS', default: 'Jitsi-Conference-Room,X-Room-Name', description: 'INVITE headers naming the room, in order' },
  { name: 'SIP_ROOM_PASSWORD_HEADER', default: 'Jitsi-Conference-Room-Pass', description: 'INVITE header with the room password' },
  { name: 'SIP_DOMAIN_BASE_HEADERS', default: 'Jitsi-Conference-Domain-Base,X-Domain-Base', description: 'INVITE headers with the domain base (multi-domain)' },
  { name: 'SIP_TENANT_HEADER', default: 'Jitsi-Conference-Domain-Tenant', description: 'INVITE header with the tenant' },
  { name: 'SIP_TRUSTED_NETWORKS', default: '', description: 'CIDR list allowed to call without digest auth' },
  { name: 'SIP_INBOUND_USERS', default: '', secret: true, description: 'user:password list callers authenticate with (digest)' },
  { name: 'SIP_REALM', default: 'jitsi', description: 'Digest realm of challenges to callers' },
  { name: 'SIP_RATE_LIMIT', default: '20', description: 'Out-of-dialog INVITE and OPTIONS per second one source address may send, sustained (0: no limit; SIP_TRUSTED_NETWORKS are exempt)' },
  { name: 'SIP_RATE_LIMIT_BURST', default: '50', description: 'Requests one source may send at once before SIP_RATE_LIMIT applies' },
  { name: 'SIP_RATE_LIMIT_ACTION', default: '503', description: 'What a throttled request gets: 503 (with Retry-After) or drop (no answer at all)' },
  { name: 'SIP_NUMBER_MAP_FILE', description: 'File mapping dialled numbers to rooms and caller numbers to names (JSON, or `number = room`, `number = "Name"`, `number = room "Name"` lines)' },
  { name: 'SIP_REFER_POLICY', default: 'deny', description: 'Transfers a phone asks for by REFER: deny (403), allow, or a regular expression the whole Refer-To URI must match' },
  { name: 'CONFERENCE_MAPPER_URL', description: 'Jitsi conference mapper API for the PIN prompt' },
  // dial-in numbers and PINs (the built-in conference mapper)
  { name: 'DIAL_IN_NUMBERS', default: '', description: "Numbers Jitsi Meet's invite dialog shows, per country: `DE:+49 30 1234567, US:+1 555 010 0100:tollfree` (or Jitsi's JSON array)" },
  { name: 'DIAL_IN_NUMBERS_FORMAT', default: 'array', description: 'phoneNumberList answer: array (`[{countryCode, tollFree, formattedNumber}]`, what Jitsi Meet reads today) or object (`{numbers, numbersEnabled}`, for older Jitsi Meet)' },
  { name: 'MAPPER_STORE', default: 'sqlite', description: 'Where meeting PINs live when CONFERENCE_MAPPER_URL is unset: sqlite (a file in MAPPER_DATA_DIR), redis (shared by several gateways) or none (no built-in mapper)' },
  { name: 'MAPPER_DATA_DIR', default: 'data', description: 'Directory of the sqlite PIN store (relative to the working directory unless absolute)' },
  { name: 'MAPPER_REDIS_URL', default: 'redis://127.0.0.1:6379', description: 'Redis server of MAPPER_STORE=redis (redis:// or rediss://, optional /db)' },
  { name: 'MAPPER_REDIS_PASSWORD', secret: true, description: 'Password (AUTH) of MAPPER_REDIS_URL' },
  { name: 'MAPPER_PIN_DIGITS', default: '8', description: 'Digits of a new meeting PIN (6-10); callers may end it with # or not' },
  { name: 'MAPPER_TTL_DAYS', default: '90', description: 'A PIN nobody used (invite dialog or phone) for this many days is forgotten' },
  { name: 'DIALIN_HTTP_HOST', default: '127.0.0.1', description: 'Address of the browser-facing dial-in endpoints (conferenceMapper, phoneNumberList, dialInInfo)' },
  { name: 'DIALIN_HTTP_PORT', default: '8790', description: 'Port of the dial-in endpoints (never serves /about/* or /metrics)' },
  { name: 'DIALIN_CORS_ORIGINS', default: '*', description: 'Origins allowed to call the dial-in endpoints from a browser, e.g. https://meet.example.com (* = any)' },
  { name: 'DIALIN_TRUSTED_PROXIES', default: '127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16', description: 'Proxies (CIDR) whose X-Forwarded-For / X-Real-IP is believed for the client address' },
  { name: 'DIALIN_RATE_LIMIT', default: '5', description: 'Dial-in requests per second one client address may make, sustained (0: no limit); more get 429' },
  { name: 'DIALIN_RATE_LIMIT_BURST', default: '30', description: 'Dial-in requests one client address may make at once' },
  { name: 'DIALIN_LOOKUP_TOKEN', secret: true, description: 'Serve GET /pinLookup?id=PIN (PIN → meeting) to holders of this bearer token, for an external IVR; unset: not served' },
  { name: 'DIALOUT_ALLOWED_NUMBERS', default: '^\\+?[0-9]{3,15}$', description: 'Regular expression a dialled number must match (dial-out guard rail)' },
  { name: 'DIALOUT_MAX_PER_ROOM', default: '3', description: 'Dial-out calls one meeting may have at once' },
  { name: 'DIALOUT_RING_TIMEOUT', default: '60000', description: 'ms a dial-out call may ring before it is cancelled' },
  { name: 'DIALOUT_FOCUS_NICKS', default: 'focus', description: 'Brewery occupant nicks whose dial requests are obeyed (Jicofo)' },
  // drachtio / FreeSWITCH
  { name: 'DRACHTIO_HOST', default: '127.0.0.1', description: 'drachtio-server control address' },
  { name: 'DRACHTIO_PORT', default: '9022', description: 'drachtio-server control port' },
  { name: 'DRACHTIO_SECRET', default: 'cymru', secret: true, description: 'drachtio-server shared secret' },
  { name: 'FREESWITCH_HOST', default: '127.0.0.1', description: 'FreeSWITCH event socket host (MEDIA_MODE=freeswitch)' },
  { name: 'FREESWITCH_PORT', default: '8021', description: 'FreeSWITCH event socket port' },
  { name: 'FREESWITCH_SECRET', default: 'ClueCon', secret: true, description: 'FreeSWITCH event socket password' },
  { name: 'FREESWITCH_LISTEN_ADDRESS', default: '127.0.0.1', description: 'Address our outbound event socket listener binds; FreeSWITCH connects to it once per channel' },
  { name: 'FREESWITCH_LISTEN_PORT', default: '8085', description: 'Port of that listener (0: any free port)' },
  { name: 'FREESWITCH_ADVERTISED_ADDRESS', description: 'Address FreeSWITCH is told to connect back to, when not FREESWITCH_LISTEN_ADDRESS (containers, NAT)' },
  { name: 'FREESWITCH_PROFILE', default: 'drachtio_mrf', description: 'FreeSWITCH SIP profile drachtio-server sends the media INVITEs to' },
  { name: 'FREESWITCH_PROMPT_DIR', default: '/usr/local/freeswitch/sounds/jitsi-sip-gateway', description: 'Directory, as FreeSWITCH sees it, holding the prompts (prompts/*.wav)' },
  // media
  { name: 'MEDIA_MODE', default: 'direct', description: 'direct (the phone\'s RTP goes to the gateway) or freeswitch (FreeSWITCH answers the phone and is bridged to the gateway)' },
  { name: 'MEDIA_ADDRESS', default: '127.0.0.1', description: 'Address put in SDP and ICE candidates' },
  { name: 'MEDIA_BIND_ADDRESS', description: 'Address media sockets bind to (default MEDIA_ADDRESS)' },
  { name: 'JIGASI_PORT_MIN', default: '20000', description: 'Lowest UDP media port' },
  { name: 'JIGASI_PORT_MAX', default: '20050', description: 'Highest UDP media port' },
  { name: 'OPUS_COMPLEXITY', default: '1', description: 'Opus encoder complexity 0-10 toward the bridge (1: a third of the CPU of 5 for telephone speech, see README)' },
  { name: 'MEDIA_WORKERS', default: 'auto', description: 'Media worker threads: auto (one per CPU the process may use), a number, or 0 to run media in the main thread' },
  { name: 'CALLER_SRTP', default: 'optional', description: "SDES-SRTP on the phone's RTP: off (RTP/SAVP offers get 488), optional (SRTP when the phone offers it; our offers carry keys on RTP/AVP) or required (plain offers get 488; our offers are RTP/SAVP)" },
  { name: 'CALLER_RTCP', default: 'on', description: "RTCP with phones in direct mode, for their round trip and loss in call quality: on (over rtcp-mux when the phone offers it, else over a second port of the range, RTP port + 1 when free), mux (only over rtcp-mux: no second port) or off" },
  { name: 'NOISE_SUPPRESSION', default: 'false', description: "RNNoise on the caller's audio before it goes to the meeting; an INVITE's X-Noise-Suppression header (on or off) overrides it for that call" },
  // timeouts
  { name: 'JIGASI_JVB_TIMEOUT', default: '30000', description: 'ms to wait for the conference to offer media (session-initiate)' },
  { name: 'ROOM_HEADER_TIMEOUT', default: '1000', description: 'ms to wait for routing information' },
  { name: 'BRIDGE_MEDIA_TIMEOUT', default: '5000', description: 'ms without bridge media after setup before hanging up' },
  { name: 'CALLER_RTP_TIMEOUT', default: '10000', description: 'ms without caller RTP before it is logged' },
  { name: 'CALLER_RTP_TIMEOUT_HANGUP', default: 'false', description: 'Hang up after CALLER_RTP_TIMEOUT' },
  { name: 'RESUME_WINDOW', default: '30000', description: 'ms a caller waits after session-terminate for a new session' },
  { name: 'XMPP_RECONNECT_WINDOW', default: '30', description: 'Seconds a connected call rides through a lost per-call XMPP connection (Prosody restart) before hanging up; 0 = hang up at once' },
  { name: 'DRAIN_TIMEOUT', default: '3600000', description: 'ms a graceful shutdown waits for calls to end' },
  // operations
  { name: 'HTTP_HOST', default: '127.0.0.1', description: 'Address of /about/health, /about/stats, /metrics' },
  { name: 'HTTP_PORT', default: '8788', description: 'Port of the HTTP API' },
  { name: 'ENABLE_REST_SHUTDOWN', default: 'false', description: 'Serve POST /about/shutdown (needs HTTP_API_TOKEN too)' },
  { name: 'HTTP_API_TOKEN', secret: true, description: 'Bearer token of every POST of the HTTP API (shutdown, call transfer); unset: those endpoints answer 403' },
  { name: 'MAX_CALLS', default: '100', description: 'Concurrent calls before new ones get 503 (also stress_level base)' },
  { name: 'JIGASI_LOCAL_REGION', description: 'Region published to Jicofo and in presence' },
  { name: 'JIGASI_STATS_ID', description: 'Published as stats-id in presence' },
  { name: 'SIP_AUDIO_MUTE_FEATURE', default: 'true', description: 'Advertise audio-mute so moderators can mute callers' },
  { name: 'LOG_LEVEL', default: 'info', description: 'trace, debug, info, warn, error' },
  { name: 'CDR_FILE', description: 'Also append each call detail record to this file as one JSON line (the log always has it); unset: log only' },
];

export const FIELD_NAMES: ReadonlySet<string> = new Set(FIELDS.map((f) => f.name));
