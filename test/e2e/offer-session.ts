import { buildSessionInitiate, type FakeFocus } from '../support/fake-focus.js';
import type { FakeBridgeEndpoint, FakeConference } from '../support/fake-bridge-audio.js';

/** Plays Jicofo: offers `occupant` a Jingle session with the conference endpoint's bridge. */
export async function offerSession(focus: FakeFocus, occupant: string, conf: FakeConference, endpoint: FakeBridgeEndpoint, sid: string): Promise<void> {
  const t = endpoint.bridge.transport;
  const reply = await focus.sendJingle(
    occupant,
    buildSessionInitiate({
      sid,
      initiator: focus.jid,
      transport: {
        ufrag: t.ufrag,
        pwd: t.pwd,
        candidates: t.candidates.map((c) => ({ ...c, protocol: 'udp' as const })),
        fingerprint: t.fingerprint,
      },
      sources: conf.sources(),
    }),
  );
  if (reply.attrs['type'] !== 'result') throw new Error(`session-initiate refused: ${reply.toString()}`);
}
