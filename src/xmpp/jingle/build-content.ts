import xml, { type Element } from '@xmpp/xml';
import { NS } from './namespaces.js';
import type {
  ContentGroup,
  DtlsFingerprint,
  HeaderExtension,
  IceCandidate,
  IceTransport,
  JingleContent,
  JingleSource,
  PayloadType,
  SsrcGroup,
} from './types.js';

type Attrs = Record<string, string>;

/** Attributes with undefined values dropped and numbers written in decimal. */
function attrs(input: Record<string, string | number | boolean | undefined>): Attrs {
  const out: Attrs = {};
  for (const [k, v] of Object.entries(input)) if (v !== undefined) out[k] = String(v);
  return out;
}

function parameterElements(parameters: Record<string, string>): Element[] {
  return Object.entries(parameters).map(([name, value]) => xml('parameter', { name, value }));
}

export function buildPayloadType(pt: PayloadType): Element {
  return xml(
    'payload-type',
    attrs({
      id: pt.id,
      name: pt.name,
      clockrate: pt.clockRate,
      // XEP-0167: channels defaults to 1, and Jicofo/jigasi leave it out for mono codecs.
      channels: pt.channels === 1 ? undefined : pt.channels,
      ptime: pt.ptime,
      maxptime: pt.maxptime,
    }),
    ...parameterElements(pt.parameters),
    ...pt.rtcpFbs.map((fb) => xml('rtcp-fb', attrs({ xmlns: NS.rtcpFb, type: fb.type, subtype: fb.subtype }))),
  );
}

export function buildHeaderExtension(ext: HeaderExtension): Element {
  return xml('rtp-hdrext', attrs({ xmlns: NS.rtpHdrext, id: ext.id, uri: ext.uri, senders: ext.senders }));
}

export function buildSource(source: JingleSource): Element {
  const parameters = { ...source.parameters };
  if (source.msid !== undefined && parameters['msid'] === undefined) parameters['msid'] = source.msid;
  const children: Element[] = [];
  if (source.owner !== undefined) children.push(xml('ssrc-info', { xmlns: NS.ssrcInfo, owner: source.owner }));
  children.push(...parameterElements(parameters));
  return xml(
    'source',
    attrs({ xmlns: NS.ssma, ssrc: source.ssrc, name: source.name, videoType: source.videoType }),
    ...children,
  );
}

export function buildSsrcGroup(group: SsrcGroup): Element {
  return xml(
    'ssrc-group',
    { xmlns: NS.ssma, semantics: group.semantics },
    ...group.ssrcs.map((ssrc) => xml('source', { ssrc: String(ssrc) })),
  );
}

export function buildCandidate(c: IceCandidate): Element {
  return xml(
    'candidate',
    attrs({
      component: c.component,
      foundation: c.foundation,
      generation: c.generation,
      id: c.id,
      ip: c.ip,
      network: c.network,
      port: c.port,
      priority: c.priority,
      protocol: c.protocol,
      type: c.type,
      'rel-addr': c.relAddr,
      'rel-port': c.relPort,
      tcptype: c.tcpType,
    }),
  );
}

export function buildFingerprint(fp: DtlsFingerprint): Element {
  return xml(
    'fingerprint',
    attrs({ xmlns: NS.dtls, hash: fp.hash, required: fp.required, setup: fp.setup }),
    fp.value,
  );
}

export function buildTransport(t: IceTransport): Element {
  return xml(
    'transport',
    attrs({ xmlns: NS.iceUdp, ufrag: t.ufrag, pwd: t.pwd }),
    ...t.fingerprints.map(buildFingerprint),
    ...t.candidates.map(buildCandidate),
    ...(t.rtcpMux ? [xml('rtcp-mux')] : []),
  );
}

/** Whether a content carries an RTP description worth writing. */
function hasDescription(c: JingleContent): boolean {
  return c.media !== undefined || c.payloadTypes.length > 0 || c.sources.length > 0 || c.ssrcGroups.length > 0;
}

export function buildDescription(c: JingleContent, extraAttrs: Record<string, string> = {}): Element {
  return xml(
    'description',
    { ...attrs({ xmlns: NS.rtp, media: c.media ?? c.name, maxptime: c.maxptime }), ...extraAttrs },
    ...c.payloadTypes.map(buildPayloadType),
    ...c.headerExtensions.map(buildHeaderExtension),
    ...(c.extmapAllowMixed ? [xml('extmap-allow-mixed', { xmlns: NS.rtpHdrext })] : []),
    ...(c.rtcpMux ? [xml('rtcp-mux')] : []),
    ...c.sources.map(buildSource),
    ...c.ssrcGroups.map(buildSsrcGroup),
  );
}

export function buildContent(c: JingleContent): Element {
  const children: Element[] = [];
  if (hasDescription(c)) children.push(buildDescription(c));
  if (c.transport) children.push(buildTransport(c.transport));
  return xml('content', { creator: c.creator, name: c.name, senders: c.senders }, ...children);
}

export function buildGroup(g: ContentGroup): Element {
  return xml(
    'group',
    { xmlns: NS.grouping, semantics: g.semantics },
    ...g.contents.map((name) => xml('content', { name })),
  );
}
