/** Namespaces of the per-call conference session (contract §1.2, §3; stanzas 03 and 04). */
export const NS = {
  client: 'jabber:client',
  muc: 'http://jabber.org/protocol/muc',
  mucUser: 'http://jabber.org/protocol/muc#user',
  nick: 'http://jabber.org/protocol/nick',
  focus: 'http://jitsi.org/protocol/focus',
  jigasi: 'http://jitsi.org/protocol/jigasi',
  rayo: 'urn:xmpp:rayo:1',
  colibri: 'http://jitsi.org/protocol/colibri',
  jitmeet: 'http://jitsi.org/jitmeet',
  audioMute: 'http://jitsi.org/jitmeet/audio',
  jingle: 'urn:xmpp:jingle:1',
  jingleErrors: 'urn:xmpp:jingle:errors:1',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
} as const;

/** `<feature var>` values published in the MUC presence `<features>`. */
export const PRESENCE_FEATURE = {
  jigasi: 'http://jitsi.org/protocol/jigasi',
  dtmf: 'urn:xmpp:jingle:dtmf:0',
  audioMute: 'http://jitsi.org/protocol/audio-mute',
} as const;

/** The MUC nick Jicofo uses in every conference room. */
export const FOCUS_NICK = 'focus';
