/**
 * A Jicofo stand-in for tests (not product code). It logs in as focus@auth.meet.test/focus,
 * answers conference requests, hosts rooms as nick 'focus' (joining first makes it the owner),
 * moderates them (config form, membership, invitations, kicks, destruction), answers the
 * gateway's Jingle IQs with `result` like Jicofo, and sends Jingle and moderator mute IQs.
 * Everything it receives is recorded; `waitFor` finds past or future stanzas.
 */
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '../../src/xmpp/connection.js';
import type { ProsodyHarness } from './prosody.js';
import { connectTestClient, type Client } from './xmpp-client.js';
import { MucTestParticipant } from './fake-focus/muc-participant.js';
import {
  destroyIq,
  inviteMessage,
  kickIq,
  roomConfigIq,
  setAffiliationIq,
  type RoomConfig,
} from './fake-focus/room-admin.js';

export { MucTestParticipant, errorCondition, type StanzaPredicate } from './fake-focus/muc-participant.js';
export type { RoomConfig } from './fake-focus/room-admin.js';
export * from './fake-focus/jingle-builders.js';

const NS_FOCUS = 'http://jitsi.org/protocol/focus';
const NS_JINGLE = 'urn:xmpp:jingle:1';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_AUDIO_MUTE = 'http://jitsi.org/jitmeet/audio';
const JIGASI_FEATURE = 'http://jitsi.org/protocol/jigasi';

/** How the focus answers conference requests: ready, an error condition, or not at all. */
export type ConferenceReply = 'ready' | 'silent' | { error: string };

export interface FakeFocusOptions {
  username?: string;
  conferenceReply?: ConferenceReply;
}

export interface GatewayOccupant {
  roomJid: string;
  nick: string;
  /** room@muc/nick */
  occupantJid: string;
  /** The gateway's own JID, visible to the focus as room owner. */
  realJid: string | undefined;
  /** The presence that showed the jigasi feature. */
  presence: Element;
}

interface IqContext {
  stanza: Element;
}

export class FakeFocus extends MucTestParticipant {
  static readonly NICK = 'focus';
  conferenceReply: ConferenceReply;
  /** False: Jingle IQs from participants get no answer at all. */
  answersJingle = true;
  private constructor(client: Client, conferenceReply: ConferenceReply) {
    super(client);
    this.conferenceReply = conferenceReply;
    const callee = client.iqCallee as {
      set(ns: string, name: string, h: (ctx: IqContext) => Element | true | Promise<Element | true>): void;
    };
    callee.set(NS_FOCUS, 'conference', (ctx) => this.#answerConference(ctx.stanza));
    // Jicofo acknowledges every Jingle IQ of a participant; tests read them from `received`.
    // A silent focus (an overloaded Jicofo) never answers them.
    callee.set(NS_JINGLE, 'jingle', () => (this.answersJingle ? true : new Promise<true>(() => undefined)));
  }

  /** Creates the focus account on the harness and logs in with resource 'focus'. */
  static async start(harness: ProsodyHarness, opts: FakeFocusOptions = {}): Promise<FakeFocus> {
    const username = opts.username ?? 'focus';
    const password = randomUUID();
    await harness.createUser(username, harness.authDomain, password);
    const client = await connectTestClient(harness, { username, password, resource: FakeFocus.NICK });
    return new FakeFocus(client, opts.conferenceReply ?? 'ready');
  }

  /** Conference requests received, oldest first. */
  get conferenceRequests(): Element[] {
    return this.received.filter((s) => s.is('iq') && s.getChild('conference', NS_FOCUS) !== undefined);
  }

  /** Joins `roomJid` as 'focus' (first in, so owner) and applies `config`. */
  async hostRoom(roomJid: string, config?: RoomConfig): Promise<void> {
    await this.joinRoom(roomJid, FakeFocus.NICK);
    if (config) await this.configureRoom(roomJid, config);
  }

  async configureRoom(roomJid: string, config: RoomConfig): Promise<void> {
    await this.requestOk(roomConfigIq(roomJid, config));
  }

  async grantMembership(roomJid: string, realJid: string): Promise<void> {
    await this.requestOk(setAffiliationIq(roomJid, bare(realJid), 'member'));
  }

  /** Outcast affiliation for a JID, or for a whole host (every anonymous caller of 'meet.test'). */
  async ban(roomJid: string, jidOrHost: string): Promise<void> {
    await this.requestOk(setAffiliationIq(roomJid, bare(jidOrHost), 'outcast'));
  }

  /** Mediated invitation to `realJid` (how a moderator admits someone from the lobby). */
  async invite(roomJid: string, realJid: string, reason?: string): Promise<void> {
    await this.client.send(inviteMessage(roomJid, realJid, reason));
  }

  async kick(roomJid: string, nick: string, reason?: string): Promise<void> {
    await this.requestOk(kickIq(roomJid, nick, reason));
  }

  async destroyRoom(roomJid: string, reason?: string): Promise<void> {
    await this.requestOk(destroyIq(roomJid, reason));
  }

  /** The first occupant of `roomJid` whose presence carries the jigasi feature. */
  async waitForGateway(roomJid: string, timeoutMs = 5000): Promise<GatewayOccupant> {
    const presence = await this.waitFor(
      (s) => isAvailablePresenceFrom(s, roomJid) && hasJigasiFeature(s),
      timeoutMs,
    );
    const from = presence.attrs['from'] as string;
    const item = presence.getChild('x', NS_MUC_USER)?.getChild('item');
    const realJid = item?.attrs['jid'];
    return {
      roomJid,
      nick: from.slice(from.indexOf('/') + 1),
      occupantJid: from,
      realJid: typeof realJid === 'string' ? realJid : undefined,
      presence,
    };
  }

  /** Every presence received from `occupantJid`, oldest first. */
  presencesFrom(occupantJid: string): Element[] {
    return this.received.filter((s) => s.is('presence') && s.attrs['from'] === occupantJid);
  }

  /** Sends a Jingle element to `occupantJid` from our room occupant; resolves with the reply (result or error). */
  sendJingle(occupantJid: string, jingle: Element, timeoutMs = 5000): Promise<Element> {
    return this.request(xml('iq', { type: 'set', to: occupantJid }, jingle), timeoutMs);
  }

  /** Moderator (un)mute, as Jicofo relays it to a participant (stanza 04 E). */
  sendMute(occupantJid: string, muted: boolean, actor?: string, timeoutMs = 5000): Promise<Element> {
    const mute = xml('mute', { xmlns: NS_AUDIO_MUTE, ...(actor !== undefined ? { actor } : {}) }, muted ? 'true' : 'false');
    return this.request(xml('iq', { type: 'set', to: occupantJid }, mute), timeoutMs);
  }

  #answerConference(iq: Element): Element | Promise<Element | true> {
    const mode = this.conferenceReply;
    if (mode === 'silent') {
      // Never settles, so the library never answers; it holds no timer and dies with the client.
      return new Promise<Element | true>(() => undefined);
    }
    if (typeof mode === 'object') {
      return xml('error', { type: 'cancel' }, xml(mode.error, { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }));
    }
    const room = iq.getChild('conference', NS_FOCUS)?.attrs['room'];
    return xml('conference', { xmlns: NS_FOCUS, ready: 'true', room: typeof room === 'string' ? room : '', focusjid: this.jid });
  }
}

function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}

function isAvailablePresenceFrom(s: Element, roomJid: string): boolean {
  const from = s.attrs['from'];
  return (
    s.is('presence') &&
    s.attrs['type'] === undefined &&
    typeof from === 'string' &&
    from.startsWith(`${roomJid}/`)
  );
}

export function hasJigasiFeature(presence: Element): boolean {
  return (
    presence
      .getChild('features', 'jabber:client')
      ?.getChildren('feature')
      .some((f) => f.attrs['var'] === JIGASI_FEATURE) === true
  );
}
