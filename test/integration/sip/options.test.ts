import { afterEach, describe, expect, it } from 'vitest';
import type { AdmissionDecision } from '../../../src/sip/invite-middleware.js';
import * as sip from '../../support/sip-messages.js';
import { SipAppHarness } from './support/sip-app-harness.js';

let h: SipAppHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

const probe = (): string => sip.options({ from: '<sip:monitor@127.0.0.1>', to: '<sip:jigasi@127.0.0.1>' });

describe('OPTIONS', () => {
  it('answers 200 with the methods and bodies the gateway handles while serving, 503 while draining', async () => {
    let decision: AdmissionDecision = { refused: false };
    h = await SipAppHarness.start({ admission: () => decision });
    const ok = await h.double.injectRequest(probe()).waitForResponse();
    expect(ok.status).toBe(200);
    expect(ok.get('allow')).toBe('INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE');
    expect(ok.get('accept')).toContain('application/sdp');
    expect(ok.get('accept')).toContain('application/json');

    // Full is still serving (a trunk should keep us); draining is not.
    decision = { refused: true, status: 503, reason: 'capacity' };
    expect((await h.double.injectRequest(probe()).waitForResponse()).status).toBe(200);
    decision = { refused: true, status: 503, reason: 'draining' };
    const draining = await h.double.injectRequest(probe()).waitForResponse();
    expect(draining.status).toBe(503);
    expect(draining.get('retry-after')).toMatch(/^\d+$/);
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
