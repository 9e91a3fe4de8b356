import { afterEach, describe, expect, it } from 'vitest';
import type { AdmissionDecision } from '../../../src/sip/invite-middleware.js';
import type { SipReadiness } from '../../../src/sip/options.js';
import * as sip from '../../support/sip-messages.js';
import { SipAppHarness } from './support/sip-app-harness.js';

let h: SipAppHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const probe = (): string => sip.options({ from: '<sip:monitor@127.0.0.1>', to: '<sip:jigasi@127.0.0.1>' });

describe('OPTIONS', () => {
  it('answers 200 with the methods and bodies the gateway handles while serving, 503 while draining or full', async () => {
    let decision: AdmissionDecision = { refused: false };
    h = await SipAppHarness.start({ admission: () => decision, timing: { retryAfterSeconds: { draining: 600, capacity: 7 } } });
    const ok = await h.double.injectRequest(probe()).waitForResponse();
    expect(ok.status).toBe(200);
    expect(ok.get('allow')).toBe('INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REFER, NOTIFY');
    expect(ok.get('accept')).toContain('application/sdp');
    expect(ok.get('accept')).toContain('application/json');

    // A SIP load balancer must stop sending calls to a full instance, and come back once there is room.
    decision = { refused: true, status: 503, reason: 'capacity' };
    const full = await h.double.injectRequest(probe()).waitForResponse();
    expect(full.status).toBe(503);
    expect(full.get('retry-after')).toBe('7');
    decision = { refused: false };
    expect((await h.double.injectRequest(probe()).waitForResponse()).status).toBe(200);
    decision = { refused: true, status: 503, reason: 'draining' };
    const draining = await h.double.injectRequest(probe()).waitForResponse();
    expect(draining.status).toBe(503);
    expect(draining.get('retry-after')).toBe('600');
  });

  it('answers with the readiness verdict it is given, naming the problem in a Reason header', async () => {
    let ready: SipReadiness = { ready: true };
    h = await SipAppHarness.start({ readiness: () => ready });
    expect((await h.double.injectRequest(probe()).waitForResponse()).status).toBe(200);
    ready = { ready: false, reason: 'brewery session is offline', retryAfterSeconds: 5 };
    const down = await h.double.injectRequest(probe()).waitForResponse();
    expect(down.status).toBe(503);
    expect(down.get('retry-after')).toBe('5');
    expect(down.get('reason')).toBe('SIP;cause=503;text="brewery session is offline"');
    ready = { ready: true };
    expect((await h.double.injectRequest(probe()).waitForResponse()).status).toBe(200);
  });

  it('answers 503 to OPTIONS and INVITE once the SIP app is stopped', async () => {
    h = await SipAppHarness.start();
    await h.app.stop();
    expect((await h.double.injectRequest(probe()).waitForResponse()).status).toBe(503);
    const inv = h.double.injectRequest(
      sip.invite({ from: '<sip:a@127.0.0.1>', to: '<sip:b@127.0.0.1>', headers: { 'X-Room-Name': 'r' }, sdp: sip.sdp({ port: 4000 }) }),
    );
    expect((await inv.waitForResponse()).status).toBe(503);
    expect(h.calls.all).toHaveLength(0);
  });
});
