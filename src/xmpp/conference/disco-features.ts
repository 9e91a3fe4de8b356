import { NS, PRESENCE_FEATURE } from './namespaces.js';

/**
 * What a per-call participant answers to disco#info. Jicofo builds its offer from this list and
 * assumes audio+video+data channels when a participant does not answer, so the list must be
 * exactly what the media engine implements: audio only, ICE-UDP, DTLS-SRTP, rtcp-mux, BUNDLE.
 */
export const DEFAULT_DISCO_FEATURES: readonly string[] = [
  NS.discoInfo,
  'urn:xmpp:jingle:1',
  'urn:xmpp:jingle:apps:rtp:1',
  'urn:xmpp:jingle:apps:rtp:audio',
  'urn:xmpp:jingle:transports:ice-udp:1',
  'urn:xmpp:jingle:apps:dtls:0',
  'urn:ietf:rfc:5761',
  'urn:ietf:rfc:5888',
  PRESENCE_FEATURE.dtmf,
  PRESENCE_FEATURE.jigasi,
];

export function discoFeaturesFor(base: readonly string[], audioMuteFeature: boolean): readonly string[] {
  if (!audioMuteFeature || base.includes(PRESENCE_FEATURE.audioMute)) return base;
  return [...base, PRESENCE_FEATURE.audioMute];
}
