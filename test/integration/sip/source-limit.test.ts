import { afterEach, describe, expect, it } from 'vitest';
import type { SipConfig } from '../../../src/config/types.js';
import type { InjectedRequest } from '../../support/drachtio-double/index.js';
import * as sip from '../../support/sip-messages.js';
import { SipAppHarness } from './support/sip-app-harness.js';

let h: SipAppHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const FLOODER = { address: '192.0.2.66', port: 5060 };
const NEIGHBOUR = { address: '198.51.100.7', port: 5060 };
const LIMIT: Partial<SipConfig> = { rateLimit: { perSecond: 5, burst: 10, action: 'reject' } };

function invite(i: number): string {
  return sip.invite({ from: `<sip:flood${i}@192.0.2.66>`, to: '<sip:jigasi@127.0.0.1>', headers: { 'X-Room-Name': `r${i}` }, sdp: sip.sdp({ port: 40000 }) });
}
const probe = (): string => sip.options({ from: '<sip:scanner@192.0.2.66>', to: '<sip:jigasi@127.0.0.1>' });

/** 200 requests, INVITE and OPTIONS alternating, injected in one go from one address. */
function flood(app: SipAppHarness): InjectedRequest[] {
  const out: InjectedRequest[] = [];
  for (let i = 0; i < 200; i++) out.push(app.double.injectRequest(i % 2 === 0 ? invite(i) : probe(), { source: FLOODER }));
  return out;
}

/** srf's record of INVITEs it saw and the app has not answered yet. */
function srfUnansweredInvites(app: SipAppHarness): number {
  type Agent = { mapServer: Map<unknown, { pendingNetworkInvites: Map<string, unknown> }> };
  const agent = (app.connection.srf as unknown as { _app: { client: Agent } })._app.client;
  let n = 0;
  for (const s of agent.mapServer.values()) n += s.pendingNetworkInvites.size;
  return n;
}

describe('per-source limit (SIP_RATE_LIMIT)', () => {
  it('answers a flood from one address 503 with Retry-After beyond its burst, while another address is served', async () => {
    h = await SipAppHarness.start({ sip: LIMIT });
    const app = h;
    const reqs = flood(app);
    const neighbour = app.double.injectRequest(invite(999), { source: NEIGHBOUR });
    const neighbourProbe = app.double.injectRequest(probe(), { source: NEIGHBOUR });

    expect((await neighbour.waitForResponse()).status).toBe(180);
    expect((await neighbourProbe.waitForResponse()).status).toBe(200);
    const finals = await Promise.all(reqs.map((r) => r.waitForResponse()));
    const passed = finals.filter((r) => r.status !== 503);
    const refused = finals.filter((r) => r.status === 503);
    // The burst, plus what refilled while the flood was being handled (5/s).
    expect(passed.length).toBeGreaterThanOrEqual(10);
    expect(passed.length).toBeLessThan(20);
    for (const r of passed) expect([180, 200]).toContain(r.status);
    for (const r of refused) expect(Number(r.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(app.throttled).toHaveLength(refused.length);
    expect(new Set(app.throttled)).toEqual(new Set(['invite/reject', 'options/reject']));
    // The neighbour's call reached the call layer like the flooder's admitted INVITEs.
    const offered = app.calls.all.map((c) => c.meta.callId);
    expect(offered).toContain(neighbour.request.callId);
    expect(offered.length).toBe(passed.filter((r) => r.status === 180).length + 1);
  });

  it('leaves a flood unanswered with SIP_RATE_LIMIT_ACTION=drop, keeping nothing of it in srf', async () => {
    h = await SipAppHarness.start({ sip: { rateLimit: { perSecond: 5, burst: 10, action: 'drop' } } });
    const app = h;
    const reqs = flood(app);
    // The app handles requests in the order they arrive on its one drachtio connection, so once
    // the neighbour is answered every flood request has been decided.
    const neighbour = app.double.injectRequest(invite(999), { source: NEIGHBOUR });
    expect((await neighbour.waitForResponse()).status).toBe(180);
    const neighbourProbe = app.double.injectRequest(probe(), { source: NEIGHBOUR });
    expect((await neighbourProbe.waitForResponse()).status).toBe(200);

    const answered = reqs.filter((r) => r.responses.some((m) => (m.status ?? 0) > 100));
    const silent = reqs.filter((r) => !answered.includes(r));
    expect(answered.length).toBeGreaterThanOrEqual(10);
    expect(answered.length).toBeLessThan(20);
    expect(app.throttled).toHaveLength(silent.length);
    expect(new Set(app.throttled)).toEqual(new Set(['invite/drop', 'options/drop']));
    // A dropped INVITE heard only drachtio-server's own 100 Trying; a dropped OPTIONS nothing.
    for (const r of silent) {
      if (r.request.method === 'INVITE') expect(r.responses.map((m) => [m.status, r.sentByStack(m)])).toEqual([[100, true]]);
      else expect(r.responses).toEqual([]);
    }
    // srf tracks the admitted INVITEs (ringing) and the neighbour's, none of the dropped ones.
    const ringing = answered.filter((r) => r.request.method === 'INVITE').length + 1;
    expect(srfUnansweredInvites(app)).toBe(ringing);
  });

  it('never throttles SIP_TRUSTED_NETWORKS', async () => {
    h = await SipAppHarness.start({ sip: { ...LIMIT, trustedNetworks: ['192.0.2.0/24'] } });
    const app = h;
    const reqs = flood(app);
    const finals = await Promise.all(reqs.map((r) => r.waitForResponse()));
    expect(finals.filter((r) => r.status === 503)).toEqual([]);
    expect(app.throttled).toEqual([]);
  });
});
