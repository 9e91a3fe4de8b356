import { afterEach, describe, expect, it } from 'vitest';
import { CallRegistry } from '../../../src/call/registry.js';
import { idleSnapshot } from '../../support/call-snapshot-fake.js';
import type { InboundSipLeg } from '../../../src/sip/sip-leg.js';
import type { InjectedRequest } from '../../support/drachtio-double/index.js';
import * as sip from '../../support/sip-messages.js';
import { SipAppHarness } from './support/sip-app-harness.js';

const CAPACITY = 3;
const OFFER = sip.sdp({ port: 40000 });
const ANSWER = sip.sdp({ port: 41000 });

let h: SipAppHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('INVITE flood beyond capacity', () => {
  it('turns the excess away with 503 while the admitted calls go on and hang up cleanly', async () => {
    // The real registry; the port registers every call before returning, as SipApp asks.
    const registry = new CallRegistry(CAPACITY);
    const offered: InboundSipLeg[] = [];
    h = await SipAppHarness.start({
      admission: () => registry.admission(),
      onInboundCall: (leg) => {
        registry.add({ id: leg.callId, roomJid: undefined, roomOccupants: [], orphaned: false, snapshot: () => idleSnapshot(leg.callId), close: () => leg.hangup() });
        offered.push(leg);
        leg.on('ended', () => registry.remove(leg.callId, 'normal'));
      },
    });
    const app = h;

    const invites: string[] = [];
    const reqs: InjectedRequest[] = [];
    for (let i = 0; i < 20; i++) {
      const text = sip.invite({ from: `<sip:caller${i}@127.0.0.1>`, to: '<sip:jigasi@127.0.0.1>', headers: { 'X-Room-Name': `room${i}` }, sdp: OFFER });
      invites.push(text);
      reqs.push(app.double.injectRequest(text));
    }
    const first = await Promise.all(reqs.map((r) => r.waitForResponse()));
    const statuses = first.map((r) => r.status);
    expect(statuses.filter((s) => s === 180)).toHaveLength(CAPACITY);
    expect(statuses.filter((s) => s === 503)).toHaveLength(20 - CAPACITY);
    for (const res of first.filter((r) => r.status === 503)) expect(res.get('retry-after')).toMatch(/^\d+$/);
    expect(offered).toHaveLength(CAPACITY);
    expect(app.responses.filter((s) => s === 503)).toHaveLength(20 - CAPACITY);

    // The admitted calls are answered and confirmed as if nothing happened.
    const admitted = statuses.flatMap((s, i) => (s === 180 ? [i] : []));
    await Promise.all(
      offered.map(async (leg, k) => {
        const i = admitted[k] ?? -1;
        const answered = leg.answer(ANSWER);
        const ok = await (reqs[i] as InjectedRequest).waitForResponse(200);
        app.double.injectRequest(sip.ack(invites[i] ?? '', ok));
        await answered;
      }),
    );
    expect(offered.map((l) => l.state)).toEqual(['answered', 'answered', 'answered']);

    // …and end cleanly: one BYE each, and the freed capacity admits a new caller.
    const hangups = offered.map((leg) => leg.hangup('test over'));
    for (let k = 0; k < CAPACITY; k++) app.double.respond(await app.double.waitForRequest('BYE'), 200);
    await Promise.all(hangups);
    expect(registry.size).toBe(0);
    expect(app.app.legCount).toBe(0);
    expect(app.double.requests.filter((r) => r.method === 'BYE')).toHaveLength(CAPACITY);

    const late = app.double.injectRequest(sip.invite({ from: '<sip:late@127.0.0.1>', to: '<sip:jigasi@127.0.0.1>', headers: { 'X-Room-Name': 'r' }, sdp: OFFER }));
    expect((await late.waitForResponse()).status).toBe(180);
    expect(app.double.errors).toEqual([]);
  });
});
