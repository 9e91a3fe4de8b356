import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '../../src/xmpp/connection.js';
import { NS } from '../../src/xmpp/jingle/namespaces.js';
import { FakeConference, type FakeBridgeEndpoint } from '../support/fake-bridge-audio.js';
import { buildSessionInitiate } from '../support/fake-focus.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

/**
 * The focus's offer is refused at once (no media can follow), so the caller hears a final answer
 * right away, not after JIGASI_JVB_TIMEOUT. The bound is the refusal itself plus the teardown's
 * guarantee on a busy machine; on a quiet one it takes a few ms.
 */
const FINAL_WITHIN_MS = 1000 + 2000;

type Mutation = (jingle: Element, endpoint: FakeBridgeEndpoint) => void;

const cases: Array<{ what: string; cause: string; terminate: string | undefined; mutate: Mutation }> = [
  {
    what: 'an offer without a codec the gateway can use',
    cause: 'offer-incompatible',
    terminate: 'incompatible-parameters',
    mutate: (j) => {
      const description = j.getChild('content')?.getChild('description', NS.rtp);
      if (description) description.children = description.children.filter((c) => typeof c === 'string' || c.attrs['name'] !== 'opus');
    },
  },
  {
    what: 'an offer without ICE credentials',
    cause: 'offer-no-transport',
    terminate: 'failed-transport',
    mutate: (j) => {
      const t = j.getChild('content')?.getChild('transport', NS.iceUdp);
      if (t) {
        delete t.attrs['ufrag'];
        delete t.attrs['pwd'];
      }
    },
  },
  {
    what: 'an offer whose DTLS fingerprint is not the bridge certificate',
    cause: 'bridge-fingerprint-mismatch',
    terminate: 'security-error',
    mutate: (j) => {
      const fp = j.getChild('content')?.getChild('transport', NS.iceUdp)?.getChild('fingerprint', NS.dtls);
      if (fp) fp.children = [Array.from({ length: 32 }, () => 'AB').join(':')];
    },
  },
  {
    what: 'an unreadable session-initiate',
    cause: 'offer-malformed',
    // No session came into being (the IQ got an error), so there is nothing to terminate.
    terminate: undefined,
    mutate: (j) => {
      delete j.attrs['sid'];
    },
  },
];

describe.skipIf(!available)('a session-initiate the gateway refuses', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await GatewayHarness.start();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  for (const c of cases) {
    it(`ends the ringing call at once on ${c.what}`, async () => {
      const room = await h.newRoom();
      const conf = new FakeConference({ speakers: [{ freqHz: 700 }] });
      const ph = await RtpPhone.create({ codec: 'PCMU' });
      cleanups.push(() => conf.close(), () => ph.close());
      const endpoint = await conf.addEndpoint();
      const call = await h.dial(ph, room, 'Refused Caller');
      const occupant = await h.occupantOf(call);
      const t = endpoint.bridge.transport;
      const jingle = buildSessionInitiate({
        sid: `refused-${c.cause}`,
        initiator: h.focus.jid,
        transport: { ufrag: t.ufrag, pwd: t.pwd, candidates: t.candidates.map((x) => ({ ...x, protocol: 'udp' as const })), fingerprint: t.fingerprint },
        sources: conf.sources(),
      });
      c.mutate(jingle, endpoint);
      const sentAt = Date.now();
      const reply = await h.focus.sendJingle(occupant, jingle);
      expect(reply.attrs['type']).toBe(c.cause === 'offer-malformed' ? 'error' : 'result');

      const final = await call.req.waitForResponse(undefined, FINAL_WITHIN_MS);
      const tookMs = Date.now() - sentAt;
      expect(final.status).toBe(503);
      expect(final.get('reason')).toContain(c.cause);
      expect(tookMs).toBeLessThan(FINAL_WITHIN_MS);

      if (c.terminate !== undefined) {
        const term = await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChild('jingle', NS.jingle)?.attrs['action'] === 'session-terminate');
        expect(term.getChild('jingle', NS.jingle)?.getChild('reason')?.getChild(c.terminate)).toBeDefined();
      }
      await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.attrs['type'] === 'unavailable', FINAL_WITHIN_MS);
      await until(() => h.gateway.registry.size === 0, FINAL_WITHIN_MS, 'the call to close');
      console.log(`refusal ${c.cause}: final response ${final.status} after ${tookMs} ms`);
    });
  }
});
