/**
 * Shared setup of the conference-session integration tests: one Prosody with our test lobby and
 * max-occupants plugins, a fake focus, and a factory for gateway sessions that are all closed
 * after each test.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, silentLogger } from '../../../src/log.js';
import { ConferenceSession, type ConferenceSessionOptions } from '../../../src/xmpp/conference/index.js';
import { startProsody, type ProsodyHarness } from '../prosody.js';
import { FakeFocus } from '../fake-focus.js';

const PLUGINS = join(dirname(fileURLToPath(import.meta.url)), '..', 'prosody-plugins');

export async function startConferenceProsody(): Promise<ProsodyHarness> {
  return startProsody({
    pluginPaths: [PLUGINS],
    mucModules: ['test_muc_lobby', 'test_muc_max_occupants'],
  });
}

// Module-wide, so a factory made after a Prosody restart never reuses a room name.
let roomCounter = 0;

export class SessionFactory {
  readonly #sessions: ConferenceSession[] = [];

  constructor(
    readonly prosody: ProsodyHarness,
    readonly focus: FakeFocus,
  ) {}

  /** A room JID no other test uses. */
  newRoom(prefix = 'room'): string {
    roomCounter += 1;
    return `${prefix}${roomCounter}-${process.pid}@${this.prosody.mucDomain}`;
  }

  create(roomJid: string, overrides: Partial<ConferenceSessionOptions> = {}): ConferenceSession {
    const session = new ConferenceSession({
      service: this.prosody.service,
      login: { mode: 'anonymous', domain: this.prosody.domain },
      allowPlain: true,
      focusJid: this.focus.jid,
      roomJid,
      nick: '+15551234567',
      direction: 'in',
      audioMuteFeature: false,
      version: 'jitsi-sip-gateway-test 0.0.0',
      joinTimeoutMs: 3000,
      focusTimeoutMs: 1000,
      leaveTimeoutMs: 1000,
      // CONFERENCE_TEST_LOG=debug shows what the sessions do when a test needs explaining.
      logger: process.env['CONFERENCE_TEST_LOG'] ? createLogger({ level: process.env['CONFERENCE_TEST_LOG'] }) : silentLogger(),
      ...overrides,
    });
    this.#sessions.push(session);
    return session;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#sessions.splice(0).map((s) => s.close()));
  }
}
