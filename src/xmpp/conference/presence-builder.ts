import xml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import { NS, PRESENCE_FEATURE } from './namespaces.js';
import type { CallDirection, ConferenceSessionOptions } from './types.js';

/** Everything the gateway participant publishes in its MUC presence (stanza 04 A). */
export interface ParticipantPresenceState {
  nick: string;
  direction: CallDirection;
  extraHeaders: Readonly<Record<string, string>>;
  audioMuteFeature: boolean;
  region: string | undefined;
  statsId: string | undefined;
  version: string;
  audioMuted: boolean;
  status: string | undefined;
  /** AV moderation raise-hand timestamp (ms), null when the hand is down. */
  raisedHand: number | null;
}

/** What a call's presence says when it first joins: its name and features, unmuted, no status yet. */
export function initialPresenceState(
  o: Pick<ConferenceSessionOptions, 'nick' | 'direction' | 'extraHeaders' | 'audioMuteFeature' | 'region' | 'statsId' | 'version'>,
): ParticipantPresenceState {
  return {
    nick: o.nick,
    direction: o.direction,
    extraHeaders: { ...(o.extraHeaders ?? {}) },
    audioMuteFeature: o.audioMuteFeature,
    region: o.region,
    statsId: o.statsId,
    version: o.version,
    audioMuted: false,
    status: undefined,
    raisedHand: null,
  };
}

/**
 * The gateway participant's presence to `to` (room@muc/resource). A MUC keeps only the latest
 * presence of an occupant, so every update carries the whole state; `join` adds the MUC `<x>`
 * that only the entering presence has.
 */
export function buildParticipantPresence(
  to: string,
  state: ParticipantPresenceState,
  join?: { password: string | undefined },
): Element {
  const children: Element[] = [];
  if (join) {
    const x = xml('x', { xmlns: NS.muc });
    if (join.password !== undefined && join.password !== '') x.append(xml('password', {}, join.password));
    children.push(x);
  }
  children.push(xml('nick', { xmlns: NS.nick }, state.nick));
  if (state.region) children.push(xml('jitsi_participant_region', { xmlns: NS.client }, state.region));
  if (state.version) children.push(xml('stat', { xmlns: NS.colibri, name: 'version', value: state.version }));
  children.push(initiatorElement(state.direction, state.extraHeaders));
  children.push(featuresElement(state.audioMuteFeature));
  if (state.statsId) children.push(xml('stats-id', { xmlns: NS.client }, state.statsId));
  children.push(xml('audiomuted', { xmlns: NS.client }, state.audioMuted ? 'true' : 'false'));
  if (state.raisedHand !== null) {
    children.push(xml('jitsi_participant_raisedHand', { xmlns: NS.client }, String(state.raisedHand)));
  }
  if (state.status !== undefined) children.push(xml('status', {}, state.status));
  return xml('presence', { to }, ...children);
}

function initiatorElement(direction: CallDirection, extraHeaders: Readonly<Record<string, string>>): Element {
  const headers = [xml('header', { xmlns: NS.rayo, name: 'JigasiCallDirection', value: direction })];
  for (const [name, value] of Object.entries(extraHeaders)) {
    if (name === 'JigasiCallDirection') continue;
    headers.push(xml('header', { xmlns: NS.rayo, name, value }));
  }
  return xml('initiator', { xmlns: NS.jigasi }, ...headers);
}

function featuresElement(audioMuteFeature: boolean): Element {
  const vars: string[] = [PRESENCE_FEATURE.jigasi, PRESENCE_FEATURE.dtmf];
  if (audioMuteFeature) vars.push(PRESENCE_FEATURE.audioMute);
  return xml('features', { xmlns: NS.client }, ...vars.map((v) => xml('feature', { var: v })));
}
