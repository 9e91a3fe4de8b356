import type { Element } from '@xmpp/xml';
import { JingleParseError } from './errors.js';
import { NS } from './namespaces.js';
import {
  attr,
  enumAttr,
  MAX_UINT32,
  optionalBool,
  optionalUint,
  requireAttr,
  requireUint,
} from './parse-attrs.js';
import type {
  CandidateType,
  ContentCreator,
  ContentSenders,
  DtlsFingerprint,
  DtlsSetup,
  HeaderExtension,
  IceCandidate,
  IceTransport,
  JingleContent,
  JingleSource,
  PayloadType,
  RtcpFeedback,
  SsrcGroup,
  TcpType,
} from './types.js';

const CREATORS: readonly ContentCreator[] = ['initiator', 'responder'];
const SENDERS: readonly ContentSenders[] = ['both', 'initiator', 'responder', 'none'];
const CANDIDATE_TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];
const TCP_TYPES: readonly TcpType[] = ['active', 'passive', 'so'];
const SETUPS: readonly DtlsSetup[] = ['actpass', 'active', 'passive'];

export function parseContent(el: Element): JingleContent {
  const name = requireAttr(el, 'name', '<content>');
  const where = `content '${name}'`;
  const content: JingleContent = {
    name,
    creator: enumAttr(el, 'creator', CREATORS, 'initiator', where),
    senders: enumAttr(el, 'senders', SENDERS, 'both', where),
    payloadTypes: [],
    headerExtensions: [],
    extmapAllowMixed: false,
    sources: [],
    ssrcGroups: [],
    rtcpMux: false,
  };

  const description = el.getChild('description', NS.rtp);
  if (description) parseDescription(description, content, where);

  const transport = el.getChild('transport', NS.iceUdp);
  if (transport) content.transport = parseTransport(transport, where);
  return content;
}

function parseDescription(el: Element, content: JingleContent, where: string): void {
  content.media = attr(el, 'media') ?? content.name;
  const maxptime = optionalUint(el, 'maxptime', 65535, `${where} description`);
  if (maxptime !== undefined) content.maxptime = maxptime;

  for (const child of el.getChildElements()) {
    const ns = child.getNS();
    switch (child.name) {
      case 'payload-type':
        if (ns === NS.rtp) content.payloadTypes.push(parsePayloadType(child, where));
        break;
      case 'rtp-hdrext':
        if (ns === NS.rtpHdrext) content.headerExtensions.push(parseHeaderExtension(child, where));
        break;
      case 'extmap-allow-mixed':
        if (ns === NS.rtpHdrext) content.extmapAllowMixed = true;
        break;
      case 'rtcp-mux':
        content.rtcpMux = true;
        break;
      case 'source':
        if (ns === NS.ssma) content.sources.push(parseSource(child, where));
        break;
      case 'ssrc-group':
        if (ns === NS.ssma) content.ssrcGroups.push(parseSsrcGroup(child, where));
        break;
      default:
        // Unknown extensions (encryption, bandwidth, …) are not ours to judge.
        break;
    }
  }
}

/** `<parameter name value>` children in wire order; a missing name is kept as "". */
function parseParameters(el: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of el.getChildren('parameter')) {
    out[attr(p, 'name') ?? ''] = attr(p, 'value') ?? '';
  }
  return out;
}

function parsePayloadType(el: Element, where: string): PayloadType {
  const w = `${where} payload-type`;
  const id = requireUint(el, 'id', 127, w);
  const pt: PayloadType = {
    id,
    name: attr(el, 'name') ?? '',
    clockRate: requireUint(el, 'clockrate', MAX_UINT32, `${w} ${id}`),
    channels: optionalUint(el, 'channels', 255, `${w} ${id}`) ?? 1,
    parameters: parseParameters(el),
    rtcpFbs: el.getChildren('rtcp-fb', NS.rtcpFb).map(parseRtcpFb),
  };
  const ptime = optionalUint(el, 'ptime', 65535, `${w} ${id}`);
  if (ptime !== undefined) pt.ptime = ptime;
  const maxptime = optionalUint(el, 'maxptime', 65535, `${w} ${id}`);
  if (maxptime !== undefined) pt.maxptime = maxptime;
  return pt;
}

function parseRtcpFb(el: Element): RtcpFeedback {
  const fb: RtcpFeedback = { type: attr(el, 'type') ?? '' };
  const subtype = attr(el, 'subtype');
  if (subtype !== undefined && subtype !== '') fb.subtype = subtype;
  return fb;
}

function parseHeaderExtension(el: Element, where: string): HeaderExtension {
  const w = `${where} rtp-hdrext`;
  const ext: HeaderExtension = { id: requireUint(el, 'id', 255, w), uri: requireAttr(el, 'uri', w) };
  const senders = attr(el, 'senders');
  if (senders !== undefined) ext.senders = senders;
  return ext;
}

function parseSource(el: Element, where: string): JingleSource {
  const ssrc = requireUint(el, 'ssrc', MAX_UINT32, `${where} source`);
  const source: JingleSource = { ssrc, parameters: parseParameters(el) };
  const info = el.getChild('ssrc-info', NS.ssrcInfo);
  const owner = info ? attr(info, 'owner') : undefined;
  if (owner !== undefined) source.owner = owner;
  const name = attr(el, 'name');
  if (name !== undefined) source.name = name;
  const msid = source.parameters['msid'];
  if (msid !== undefined) source.msid = msid;
  const videoType = attr(el, 'videoType');
  if (videoType !== undefined) source.videoType = videoType;
  return source;
}

function parseSsrcGroup(el: Element, where: string): SsrcGroup {
  const w = `${where} ssrc-group`;
  return {
    semantics: requireAttr(el, 'semantics', w),
    ssrcs: el.getChildren('source').map((s) => requireUint(s, 'ssrc', MAX_UINT32, w)),
  };
}

export function parseTransport(el: Element, where: string): IceTransport {
  const transport: IceTransport = { candidates: [], fingerprints: [], rtcpMux: false };
  const ufrag = attr(el, 'ufrag');
  if (ufrag !== undefined) transport.ufrag = ufrag;
  const pwd = attr(el, 'pwd');
  if (pwd !== undefined) transport.pwd = pwd;
  for (const child of el.getChildElements()) {
    if (child.name === 'candidate') transport.candidates.push(parseCandidate(child, where));
    else if (child.name === 'fingerprint' && child.getNS() === NS.dtls) {
      transport.fingerprints.push(parseFingerprint(child, where));
    } else if (child.name === 'rtcp-mux') transport.rtcpMux = true;
  }
  return transport;
}

function parseCandidate(el: Element, where: string): IceCandidate {
  const w = `${where} candidate`;
  const type = requireAttr(el, 'type', w);
  if (!(CANDIDATE_TYPES as readonly string[]).includes(type)) {
    throw new JingleParseError(`${w}: type='${type}' is not one of ${CANDIDATE_TYPES.join(', ')}`);
  }
  const candidate: IceCandidate = {
    foundation: requireAttr(el, 'foundation', w),
    component: requireUint(el, 'component', 256, w),
    protocol: requireAttr(el, 'protocol', w).toLowerCase(),
    priority: requireUint(el, 'priority', MAX_UINT32, w),
    ip: requireAttr(el, 'ip', w),
    port: requireUint(el, 'port', 65535, w),
    type: type as CandidateType,
    generation: optionalUint(el, 'generation', MAX_UINT32, w) ?? 0,
  };
  const relAddr = attr(el, 'rel-addr');
  if (relAddr !== undefined) candidate.relAddr = relAddr;
  const relPort = optionalUint(el, 'rel-port', 65535, w);
  if (relPort !== undefined) candidate.relPort = relPort;
  const network = optionalUint(el, 'network', MAX_UINT32, w);
  if (network !== undefined) candidate.network = network;
  const id = attr(el, 'id');
  if (id !== undefined) candidate.id = id;
  const tcpType = attr(el, 'tcptype');
  if (tcpType !== undefined) candidate.tcpType = enumAttr(el, 'tcptype', TCP_TYPES, 'active', w);
  return candidate;
}

function parseFingerprint(el: Element, where: string): DtlsFingerprint {
  const w = `${where} fingerprint`;
  const value = el.getText().trim();
  if (value === '') throw new JingleParseError(`${w}: empty fingerprint`);
  // XEP-0320 before 0.3 had no setup attribute; an offer without one can only mean actpass.
  const fp: DtlsFingerprint = {
    hash: requireAttr(el, 'hash', w),
    setup: enumAttr(el, 'setup', SETUPS, 'actpass', w),
    value,
  };
  const required = optionalBool(el, 'required');
  if (required !== undefined) fp.required = required;
  return fp;
}
