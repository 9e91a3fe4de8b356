/**
 * Focus-side Jingle, shaped like what Jicofo sends a jigasi participant (contract §2, stanza 01
 * cut down to audio): parametrized by the bridge's transport and the other participants' sources,
 * so media tests can point the gateway at a fake bridge.
 */
import { xml, type Element } from '../../../src/xmpp/connection.js';

const NS = {
  jingle: 'urn:xmpp:jingle:1',
  rtp: 'urn:xmpp:jingle:apps:rtp:1',
  hdrext: 'urn:xmpp:jingle:apps:rtp:rtp-hdrext:0',
  ssma: 'urn:xmpp:jingle:apps:rtp:ssma:0',
  iceUdp: 'urn:xmpp:jingle:transports:ice-udp:1',
  dtls: 'urn:xmpp:jingle:apps:dtls:0',
  grouping: 'urn:xmpp:jingle:apps:grouping:0',
  jitmeet: 'http://jitsi.org/jitmeet',
  focus: 'http://jitsi.org/protocol/focus',
} as const;

export interface FocusCandidate {
  foundation: string;
  component: number;
  protocol: 'udp' | 'tcp';
  priority: number;
  ip: string;
  port: number;
  type: 'host' | 'srflx' | 'prflx' | 'relay';
  generation?: number;
  network?: number;
  id?: string;
  relAddr?: string;
  relPort?: number;
}

export interface FocusTransport {
  ufrag: string;
  pwd: string;
  candidates: FocusCandidate[];
  /** The bridge's DTLS certificate fingerprint; Jicofo offers setup="actpass". */
  fingerprint: { hash: string; value: string };
}

export interface FocusSource {
  ssrc: number;
  /** Endpoint id of the participant sending it ('jvb' for the bridge's own). */
  owner: string;
  name?: string;
  msid?: string;
}

export interface SessionInitiateParams {
  sid: string;
  /** The `initiator` attribute (Jicofo's JID). */
  initiator: string;
  transport: FocusTransport;
  sources: FocusSource[];
  /** Adds `<bridge-session xmlns="http://jitsi.org/protocol/focus">`, which a participant ignores. */
  bridgeSessionId?: string;
}

/** A bridge transport on loopback with one host candidate (for tests that don't reach media). */
export function loopbackTransport(port = 10000): FocusTransport {
  return {
    ufrag: 'bridgeufrag',
    pwd: 'bridgepwd0123456789abcdef',
    candidates: [
      { foundation: '1', component: 1, protocol: 'udp', priority: 2130706431, ip: '127.0.0.1', port, type: 'host', generation: 0, id: 'c1', network: 0 },
    ],
    fingerprint: {
      hash: 'sha-256',
      value: '09:B1:51:0F:85:4C:80:19:A1:AF:81:73:47:EE:ED:3D:00:3A:84:C7:76:C1:4E:34:BE:56:F6:42:AD:15:D5:D7',
    },
  };
}

export function buildSessionInitiate(p: SessionInitiateParams): Element {
  const description = xml(
    'description',
    { xmlns: NS.rtp, media: 'audio', maxptime: '60' },
    xml(
      'payload-type',
      { id: '111', name: 'opus', clockrate: '48000', channels: '2' },
      xml('parameter', { name: 'minptime', value: '10' }),
      xml('parameter', { name: 'useinbandfec', value: '1' }),
    ),
    xml('payload-type', { id: '126', name: 'telephone-event', clockrate: '8000' }),
    xml('rtp-hdrext', { xmlns: NS.hdrext, id: '1', uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' }),
    xml('rtp-hdrext', { xmlns: NS.hdrext, id: '10', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' }),
    xml('extmap-allow-mixed', { xmlns: NS.hdrext }),
    xml('rtcp-mux', {}),
    ...p.sources.map(sourceElement),
  );
  const jingle = xml(
    'jingle',
    { xmlns: NS.jingle, action: 'session-initiate', initiator: p.initiator, sid: p.sid },
    xml('content', { creator: 'initiator', name: 'audio', senders: 'both' }, description, transportElement(p.transport, true)),
    xml('group', { xmlns: NS.grouping, semantics: 'BUNDLE' }, xml('content', { name: 'audio' })),
  );
  if (p.bridgeSessionId !== undefined) {
    jingle.append(xml('bridge-session', { xmlns: NS.focus, id: p.bridgeSessionId }));
  }
  return jingle;
}

export function buildSourceAdd(sid: string, sources: FocusSource[]): Element {
  return sourcesAction('source-add', sid, sources);
}

export function buildSourceRemove(sid: string, sources: FocusSource[]): Element {
  return sourcesAction('source-remove', sid, sources);
}

export function buildTransportInfo(sid: string, transport: FocusTransport): Element {
  return xml(
    'jingle',
    { xmlns: NS.jingle, action: 'transport-info', sid },
    xml('content', { creator: 'initiator', name: 'audio' }, transportElement(transport, false)),
  );
}

export function buildSessionTerminate(sid: string, reason = 'success', text?: string): Element {
  const reasonEl = xml('reason', {}, xml(reason, {}));
  if (text !== undefined) reasonEl.append(xml('text', {}, text));
  return xml('jingle', { xmlns: NS.jingle, action: 'session-terminate', sid }, reasonEl);
}

function sourcesAction(action: string, sid: string, sources: FocusSource[]): Element {
  return xml(
    'jingle',
    { xmlns: NS.jingle, action, sid },
    xml('content', { name: 'audio' }, xml('description', { xmlns: NS.rtp, media: 'audio' }, ...sources.map(sourceElement))),
  );
}

function sourceElement(s: FocusSource): Element {
  const el = xml(
    'source',
    { xmlns: NS.ssma, ssrc: String(s.ssrc), ...(s.name !== undefined ? { name: s.name } : {}) },
    xml('ssrc-info', { xmlns: NS.jitmeet, owner: s.owner }),
  );
  if (s.msid !== undefined) el.append(xml('parameter', { name: 'msid', value: s.msid }));
  return el;
}

function transportElement(t: FocusTransport, withFingerprint: boolean): Element {
  const el = xml('transport', { xmlns: NS.iceUdp, ufrag: t.ufrag, pwd: t.pwd });
  if (withFingerprint) {
    el.append(xml('rtcp-mux', {}));
    el.append(
      xml('fingerprint', { xmlns: NS.dtls, hash: t.fingerprint.hash, setup: 'actpass', required: 'false' }, t.fingerprint.value),
    );
  }
  for (const c of t.candidates) el.append(xml('candidate', candidateAttrs(c)));
  return el;
}

function candidateAttrs(c: FocusCandidate): Record<string, string> {
  const attrs: Record<string, string> = {
    foundation: c.foundation,
    component: String(c.component),
    protocol: c.protocol,
    priority: String(c.priority),
    ip: c.ip,
    port: String(c.port),
    type: c.type,
    generation: String(c.generation ?? 0),
    network: String(c.network ?? 0),
    id: c.id ?? `${c.foundation}-${c.component}-${c.port}`,
  };
  if (c.relAddr !== undefined) attrs['rel-addr'] = c.relAddr;
  if (c.relPort !== undefined) attrs['rel-port'] = String(c.relPort);
  return attrs;
}
