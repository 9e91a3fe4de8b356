/** XML namespaces of the Jingle dialect Jicofo speaks (XEP-0166/0167/0176/0320/0338/0339/0293/0294). */
export const NS = {
  jingle: 'urn:xmpp:jingle:1',
  jingleErrors: 'urn:xmpp:jingle:errors:1',
  rtp: 'urn:xmpp:jingle:apps:rtp:1',
  ssma: 'urn:xmpp:jingle:apps:rtp:ssma:0',
  rtpHdrext: 'urn:xmpp:jingle:apps:rtp:rtp-hdrext:0',
  rtcpFb: 'urn:xmpp:jingle:apps:rtp:rtcp-fb:0',
  iceUdp: 'urn:xmpp:jingle:transports:ice-udp:1',
  dtls: 'urn:xmpp:jingle:apps:dtls:0',
  ssrcInfo: 'http://jitsi.org/jitmeet',
  grouping: 'urn:xmpp:jingle:apps:grouping:0',
  focus: 'http://jitsi.org/protocol/focus',
  startMuted: 'http://jitsi.org/jitmeet/start-muted',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
} as const;

/** Header extension URIs the gateway cares about. */
export const HDREXT = {
  audioLevel: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  mid: 'urn:ietf:params:rtp-hdrext:sdes:mid',
} as const;
