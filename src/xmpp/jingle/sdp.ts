import { createHash } from 'node:crypto';
import * as sdpTransform from 'sdp-transform';
import type { MediaDescription, SessionDescription } from 'sdp-transform';
import { JingleParseError } from './errors.js';
import type {
  CandidateType,
  ContentCreator,
  ContentGroup,
  ContentSenders,
  DtlsFingerprint,
  DtlsSetup,
  IceCandidate,
  IceTransport,
  JingleContent,
  JingleSource,
  PayloadType,
  TcpType,
} from './types.js';

/** What jingleToSdp needs; a parsed JingleAction fits. */
export interface JingleSdpInput {
  sid?: string;
  contents: readonly JingleContent[];
  groups?: readonly ContentGroup[];
}

export interface JingleToSdpOptions {
  /** o= session version; default 2. */
  sessionVersion?: number;
  /**
   * Put the best component-1 UDP candidate in c= and the m= port (RFC 8839 default candidate),
   * for peers that don't run ICE. Otherwise 0.0.0.0 and port 9, as WebRTC does.
   */
  defaultCandidate?: boolean;
}

/**
 * Senders map to SDP direction from the initiator's point of view: the SDP made from an offer is
 * the offerer's description.
 */
const DIRECTION: Record<ContentSenders, 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive'> = {
  both: 'sendrecv',
  initiator: 'sendonly',
  responder: 'recvonly',
  none: 'inactive',
};

/** SDP wants a numeric session id; Jingle sids are usually random text, so hash those. */
function sessionIdFor(sid: string | undefined): string {
  if (sid === undefined) return '0';
  if (/^\d{1,18}$/.test(sid)) return sid;
  return String(createHash('sha256').update(sid).digest().readUIntBE(0, 6));
}

function fmtpConfig(parameters: Record<string, string>): string {
  return Object.entries(parameters)
    .map(([k, v]) => (k === '' ? v : `${k}=${v}`))
    .join(';');
}

function defaultCandidate(t: IceTransport | undefined): IceCandidate | undefined {
  return t?.candidates
    .filter((c) => c.component === 1 && c.protocol === 'udp')
    .reduce<IceCandidate | undefined>((best, c) => (best === undefined || c.priority > best.priority ? c : best), undefined);
}

function sourceLines(s: JingleSource): NonNullable<MediaDescription['ssrcs']> {
  const params = { ...s.parameters };
  if (s.msid !== undefined && params['msid'] === undefined) params['msid'] = s.msid;
  const entries = Object.entries(params);
  // An a=ssrc line needs an attribute; a bare Jingle source still must show its SSRC.
  if (entries.length === 0) return [{ id: s.ssrc, attribute: 'cname', value: s.owner ?? `ssrc-${s.ssrc}` }];
  return entries.map(([attribute, value]) => ({ id: s.ssrc, attribute, value }));
}

function contentToMedia(c: JingleContent, opts: JingleToSdpOptions): MediaDescription {
  const t = c.transport;
  const def = opts.defaultCandidate === true ? defaultCandidate(t) : undefined;
  const m: MediaDescription = {
    type: c.media ?? c.name,
    port: def?.port ?? 9,
    protocol: 'UDP/TLS/RTP/SAVPF',
    payloads: c.payloadTypes.map((pt) => pt.id).join(' '),
    connection: { version: def?.ip.includes(':') === true ? 6 : 4, ip: def?.ip ?? '0.0.0.0' },
    rtp: c.payloadTypes.map((pt) => ({
      payload: pt.id,
      codec: pt.name,
      rate: pt.clockRate,
      ...(pt.channels > 1 ? { encoding: pt.channels } : {}),
    })),
    fmtp: c.payloadTypes
      .filter((pt) => Object.keys(pt.parameters).length > 0)
      .map((pt) => ({ payload: pt.id, config: fmtpConfig(pt.parameters) })),
    mid: c.name,
    direction: DIRECTION[c.senders],
  };
  const fbs = c.payloadTypes.flatMap((pt) => pt.rtcpFbs.map((fb) => ({ payload: pt.id, ...fb })));
  if (fbs.length > 0) m.rtcpFb = fbs;
  if (c.headerExtensions.length > 0) m.ext = c.headerExtensions.map((e) => ({ value: e.id, uri: e.uri }));
  if (c.extmapAllowMixed) m.extmapAllowMixed = 'extmap-allow-mixed';
  if (c.maxptime !== undefined) m.maxptime = c.maxptime;
  if (c.rtcpMux || t?.rtcpMux === true) m.rtcpMux = 'rtcp-mux';
  if (t) {
    if (t.ufrag !== undefined) m.iceUfrag = t.ufrag;
    if (t.pwd !== undefined) m.icePwd = t.pwd;
    const fp = t.fingerprints[0];
    if (fp) {
      m.fingerprint = { type: fp.hash, hash: fp.value };
      m.setup = fp.setup;
    }
    if (t.candidates.length > 0) {
      m.candidates = t.candidates.map((cand) => ({
        foundation: cand.foundation,
        component: cand.component,
        transport: cand.protocol,
        priority: cand.priority,
        ip: cand.ip,
        port: cand.port,
        type: cand.type,
        ...(cand.relAddr !== undefined ? { raddr: cand.relAddr, rport: cand.relPort ?? 0 } : {}),
        ...(cand.tcpType !== undefined ? { tcptype: cand.tcpType } : {}),
        generation: cand.generation,
      }));
    }
  }
  const ssrcs = c.sources.flatMap(sourceLines);
  if (ssrcs.length > 0) m.ssrcs = ssrcs;
  if (c.ssrcGroups.length > 0) {
    m.ssrcGroups = c.ssrcGroups.map((g) => ({ semantics: g.semantics, ssrcs: g.ssrcs.join(' ') }));
  }
  return m;
}

/**
 * A complete SDP session for the contents that carry an RTP description (transport-only contents
 * have no m-line). The mid of each m-line is the content name.
 */
export function jingleToSdp(input: JingleSdpInput, opts: JingleToSdpOptions = {}): string {
  const contents = input.contents.filter((c) => c.media !== undefined);
  const mids = new Set(contents.map((c) => c.name));
  const groups = (input.groups ?? [])
    .map((g) => ({ type: g.semantics, mids: g.contents.filter((n) => mids.has(n)).join(' ') }))
    .filter((g) => g.mids !== '');
  const session: SessionDescription = {
    version: 0,
    origin: {
      username: '-',
      sessionId: sessionIdFor(input.sid),
      sessionVersion: opts.sessionVersion ?? 2,
      netType: 'IN',
      ipVer: 4,
      address: '0.0.0.0',
    },
    name: '-',
    timing: { start: 0, stop: 0 },
    msidSemantic: { semantic: 'WMS', token: '*' },
    media: contents.map((c) => contentToMedia(c, opts)),
  };
  if (groups.length > 0) session.groups = groups;
  return sdpTransform.write(session);
}

export interface SdpToJingleOptions {
  /** Content creator to write; 'initiator' (the focus created every content in our sessions). */
  creator?: ContentCreator;
}

const SENDERS_OF: Record<string, ContentSenders> = {
  sendrecv: 'both',
  sendonly: 'initiator',
  recvonly: 'responder',
  inactive: 'none',
};
const CANDIDATE_TYPES: readonly string[] = ['host', 'srflx', 'prflx', 'relay'];
const TCP_TYPES: readonly string[] = ['active', 'passive', 'so'];
const SETUPS: readonly string[] = ['actpass', 'active', 'passive'];

/** sdp-transform turns anything that looks numeric into a number (a ufrag '1234', an fmtp '10'). */
const str = (v: string | number): string => String(v);

function parseFmtp(config: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of config.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) out[''] = p;
    else out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

function payloadTypesOf(m: MediaDescription): PayloadType[] {
  const byId = new Map<number, PayloadType>();
  const ids = sdpTransform.parsePayloads(str(m.payloads ?? ''));
  for (const r of m.rtp) {
    byId.set(r.payload, {
      id: r.payload,
      name: str(r.codec),
      clockRate: r.rate ?? 0,
      channels: r.encoding === undefined ? 1 : Number(r.encoding),
      parameters: {},
      rtcpFbs: [],
    });
  }
  for (const f of m.fmtp) {
    const pt = byId.get(f.payload);
    if (pt) pt.parameters = parseFmtp(str(f.config));
  }
  for (const fb of m.rtcpFb ?? []) {
    const targets = str(fb.payload) === '*' ? [...byId.values()] : [byId.get(Number(fb.payload))];
    for (const pt of targets) {
      if (pt) pt.rtcpFbs.push(fb.subtype !== undefined ? { type: str(fb.type), subtype: str(fb.subtype) } : { type: str(fb.type) });
    }
  }
  // m= order is the preference order; rtpmap lines can come in any order.
  const ordered = ids.map((id) => byId.get(id)).filter((pt): pt is PayloadType => pt !== undefined);
  return ordered.length === byId.size ? ordered : [...byId.values()];
}

function candidateOf(c: NonNullable<MediaDescription['candidates']>[number]): IceCandidate {
  const type = str(c.type);
  if (!CANDIDATE_TYPES.includes(type)) throw new JingleParseError(`SDP candidate type '${type}' is unknown`);
  const out: IceCandidate = {
    foundation: str(c.foundation),
    component: c.component,
    protocol: str(c.transport).toLowerCase(),
    priority: c.priority,
    ip: str(c.ip),
    port: c.port,
    type: type as CandidateType,
    generation: c.generation ?? 0,
  };
  if (c.raddr !== undefined) out.relAddr = str(c.raddr);
  if (c.rport !== undefined) out.relPort = c.rport;
  if (c.tcptype !== undefined && TCP_TYPES.includes(str(c.tcptype))) out.tcpType = str(c.tcptype) as TcpType;
  return out;
}

function transportOf(m: MediaDescription, s: SessionDescription): IceTransport | undefined {
  const ufrag = m.iceUfrag ?? s.iceUfrag;
  const pwd = m.icePwd ?? s.icePwd;
  const fp = m.fingerprint ?? s.fingerprint;
  const candidates = (m.candidates ?? []).map(candidateOf);
  if (ufrag === undefined && pwd === undefined && fp === undefined && candidates.length === 0) return undefined;
  const fingerprints: DtlsFingerprint[] = [];
  if (fp) {
    const setup = str(m.setup ?? s.setup ?? 'actpass');
    if (!SETUPS.includes(setup)) throw new JingleParseError(`SDP a=setup:${setup} is not usable for DTLS-SRTP`);
    fingerprints.push({ hash: str(fp.type), setup: setup as DtlsSetup, value: str(fp.hash) });
  }
  const t: IceTransport = { candidates, fingerprints, rtcpMux: false };
  if (ufrag !== undefined) t.ufrag = str(ufrag);
  if (pwd !== undefined) t.pwd = str(pwd);
  return t;
}

function sourcesOf(m: MediaDescription): JingleSource[] {
  const byId = new Map<number, JingleSource>();
  for (const line of m.ssrcs ?? []) {
    const ssrc = Number(line.id);
    let s = byId.get(ssrc);
    if (!s) {
      s = { ssrc, parameters: {} };
      byId.set(ssrc, s);
    }
    s.parameters[str(line.attribute)] = line.value === undefined ? '' : str(line.value);
  }
  for (const s of byId.values()) {
    const msid = s.parameters['msid'];
    if (msid !== undefined) s.msid = msid;
  }
  return [...byId.values()];
}

/** The inverse of jingleToSdp: contents named after each m-line's mid, and the session's groups. */
export function sdpToJingle(sdp: string, opts: SdpToJingleOptions = {}): { contents: JingleContent[]; groups: ContentGroup[] } {
  const s = sdpTransform.parse(sdp);
  const contents = s.media.map((m, i): JingleContent => {
    const content: JingleContent = {
      name: m.mid !== undefined ? str(m.mid) : `${m.type}${i}`,
      creator: opts.creator ?? 'initiator',
      senders: SENDERS_OF[m.direction ?? s.direction ?? 'sendrecv'] ?? 'both',
      media: m.type,
      payloadTypes: payloadTypesOf(m),
      headerExtensions: (m.ext ?? s.ext ?? []).map((e) => ({ id: e.value, uri: str(e.uri) })),
      extmapAllowMixed: (m.extmapAllowMixed ?? s.extmapAllowMixed) !== undefined,
      sources: sourcesOf(m),
      ssrcGroups: (m.ssrcGroups ?? []).map((g) => ({
        semantics: str(g.semantics),
        ssrcs: str(g.ssrcs).split(/\s+/).filter((x) => x !== '').map(Number),
      })),
      rtcpMux: m.rtcpMux !== undefined,
    };
    if (m.maxptime !== undefined) content.maxptime = m.maxptime;
    const transport = transportOf(m, s);
    if (transport) content.transport = transport;
    return content;
  });
  const groups = (s.groups ?? []).map((g) => ({
    semantics: str(g.type),
    contents: str(g.mids).split(/\s+/).filter((x) => x !== ''),
  }));
  return { contents, groups };
}
