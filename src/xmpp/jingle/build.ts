import xml, { type Element } from '@xmpp/xml';
import {
  buildCandidate,
  buildContent,
  buildDescription,
  buildFingerprint,
  buildGroup,
} from './build-content.js';
import { NS } from './namespaces.js';
import type {
  ContentCreator,
  ContentSenders,
  DtlsFingerprint,
  HeaderExtension,
  IceCandidate,
  JingleAction,
  PayloadType,
} from './types.js';

/** `<iq type="set" to>` around a `<jingle>`; the IQ id is left to the sender (xmpp.js iq-caller sets one). */
export function buildJingleIq(to: string, jingle: Element, id?: string): Element {
  return xml('iq', id === undefined ? { type: 'set', to } : { type: 'set', to, id }, jingle);
}

/** The `<jingle>` element for any typed action: the inverse of parseJingle. */
export function buildJingle(action: JingleAction): Element {
  const attrs: Record<string, string> = {
    xmlns: NS.jingle,
    action: action.action === 'other' ? action.name : action.action,
    sid: action.sid,
  };
  if (action.initiator !== undefined) attrs['initiator'] = action.initiator;
  if (action.responder !== undefined) attrs['responder'] = action.responder;
  const el = xml('jingle', attrs, ...action.contents.map(buildContent), ...action.groups.map(buildGroup));
  if (action.reason) el.append(buildReason(action.reason.condition, action.reason.text));
  if (action.bridgeSession) {
    const bs = action.bridgeSession;
    const a: Record<string, string> = { xmlns: NS.focus, id: bs.id };
    if (bs.region !== undefined) a['region'] = bs.region;
    if (bs.restart !== undefined) a['restart'] = String(bs.restart);
    el.append(xml('bridge-session', a));
  }
  if (action.startMuted) {
    const sm = action.startMuted;
    el.append(xml('startmuted', { xmlns: NS.startMuted, audio: String(sm.audio), video: String(sm.video) }));
  }
  return el;
}

/** XEP-0166 §7.4 reason conditions. */
export type JingleReasonCondition =
  | 'success'
  | 'gone'
  | 'busy'
  | 'decline'
  | 'cancel'
  | 'connectivity-error'
  | 'expired'
  | 'failed-application'
  | 'failed-transport'
  | 'general-error'
  | 'incompatible-parameters'
  | 'media-error'
  | 'security-error'
  | 'timeout'
  | 'unsupported-applications'
  | 'unsupported-transports';

export function buildReason(condition: string, text?: string): Element {
  const reason = xml('reason', {}, xml(condition));
  if (text !== undefined && text !== '') reason.append(xml('text', {}, text));
  return reason;
}

export interface TransportInfoParams {
  to: string;
  sid: string;
  contentName: string;
  ufrag: string;
  pwd: string;
  candidates: readonly IceCandidate[];
  fingerprint?: DtlsFingerprint;
  creator?: ContentCreator;
  senders?: ContentSenders;
}

function transportContent(p: TransportInfoParams): Element {
  const transport = xml('transport', { xmlns: NS.iceUdp, ufrag: p.ufrag, pwd: p.pwd });
  if (p.fingerprint) transport.append(buildFingerprint(p.fingerprint));
  for (const c of p.candidates) transport.append(buildCandidate(c));
  return xml(
    'content',
    { creator: p.creator ?? 'initiator', name: p.contentName, senders: p.senders ?? 'both' },
    transport,
  );
}

/** Our ICE credentials and candidates (trickle), as jigasi sends them before and after session-accept. */
export function buildTransportInfo(p: TransportInfoParams): Element {
  return buildJingleIq(
    p.to,
    xml('jingle', { xmlns: NS.jingle, action: 'transport-info', sid: p.sid }, transportContent(p)),
  );
}

/** Answer to a transport-replace: our new transport for the replaced content. */
export function buildTransportAccept(p: TransportInfoParams): Element {
  return buildJingleIq(
    p.to,
    xml('jingle', { xmlns: NS.jingle, action: 'transport-accept', sid: p.sid }, transportContent(p)),
  );
}

export interface SessionAcceptContent {
  name: string;
  creator?: ContentCreator;
  senders?: ContentSenders;
  payloadTypes: readonly PayloadType[];
  headerExtensions: readonly HeaderExtension[];
  /** The one SSRC the gateway sends with. */
  ssrc: number;
  cname: string;
  /** 'stream track'. */
  msid: string;
  /** Source name, when the focus wants named sources. */
  sourceName?: string;
  ufrag?: string;
  pwd?: string;
  candidates?: readonly IceCandidate[];
  fingerprint: DtlsFingerprint;
}

export interface SessionAcceptParams {
  to: string;
  sid: string;
  responder: string;
  content: SessionAcceptContent;
}

/** Source parameters as jigasi writes them: cname, msid, and the legacy mslabel/label halves of msid. */
function sourceParameters(c: SessionAcceptContent): Record<string, string> {
  const params: Record<string, string> = { cname: c.cname, msid: c.msid };
  const [mslabel, label] = c.msid.split(' ');
  if (mslabel !== undefined && mslabel !== '' && label !== undefined && label !== '') {
    params['mslabel'] = mslabel;
    params['label'] = label;
  }
  return params;
}

export function buildSessionAccept(p: SessionAcceptParams): Element {
  const c = p.content;
  const description = buildDescription(
    {
      name: c.name,
      creator: 'initiator',
      senders: 'both',
      media: 'audio',
      payloadTypes: [...c.payloadTypes],
      headerExtensions: [...c.headerExtensions],
      extmapAllowMixed: false,
      sources: [
        {
          ssrc: c.ssrc,
          parameters: sourceParameters(c),
          ...(c.sourceName !== undefined ? { name: c.sourceName } : {}),
        },
      ],
      ssrcGroups: [],
      rtcpMux: false,
    },
    { ssrc: String(c.ssrc) },
  );

  const transportAttrs: Record<string, string> = { xmlns: NS.iceUdp };
  if (c.ufrag !== undefined) transportAttrs['ufrag'] = c.ufrag;
  if (c.pwd !== undefined) transportAttrs['pwd'] = c.pwd;
  const transport = xml('transport', transportAttrs, buildFingerprint(c.fingerprint));
  for (const cand of c.candidates ?? []) transport.append(buildCandidate(cand));

  const content = xml(
    'content',
    { creator: c.creator ?? 'initiator', name: c.name, senders: c.senders ?? 'both' },
    description,
    transport,
  );
  return buildJingleIq(
    p.to,
    xml('jingle', { xmlns: NS.jingle, action: 'session-accept', sid: p.sid, responder: p.responder }, content),
  );
}

export interface SessionTerminateParams {
  to: string;
  sid: string;
  reason: JingleReasonCondition;
  text?: string;
}

export function buildSessionTerminate(p: SessionTerminateParams): Element {
  return buildJingleIq(
    p.to,
    xml(
      'jingle',
      { xmlns: NS.jingle, action: 'session-terminate', sid: p.sid },
      buildReason(p.reason, p.text),
    ),
  );
}
