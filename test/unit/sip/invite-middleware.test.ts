import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { CidrSet } from '../../../src/sip/admission/cidr.js';
import { DigestAuthenticator } from '../../../src/sip/admission/digest.js';
import { codecOfferCheck } from '../../../src/sip/admission/offer-check.js';
import { InviteAdmission, type InviteAdmissionDeps } from '../../../src/sip/invite-middleware.js';
import type { SrfIncomingRequest, SrfSendOptions, SrfServerResponse } from '../../../src/sip/srf-types.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function request(headers: Record<string, string>, body = SDP): SrfIncomingRequest {
  const all: Record<string, string> = { Contact: '<sip:a@192.0.2.10:5060>', ...headers };
  const lower = new Map(Object.entries(all).filter(([, v]) => v !== '').map(([k, v]) => [k.toLowerCase(), v]));
  return {
    method: 'INVITE',
    uri: 'sip:+4930555@gw.test',
    body,
    payload: undefined,
    source_address: '192.0.2.10',
    source_port: 5060,
    protocol: 'udp',
    get: (n) => lower.get(n.toLowerCase()),
    has: (n) => lower.has(n.toLowerCase()),
    on: () => undefined,
    removeListener: () => undefined,
  };
}

class FakeResponse implements SrfServerResponse {
  sent: Array<{ status: number; opts: SrfSendOptions | undefined }> = [];
  get finalResponseSent(): boolean {
    return this.sent.some((s) => s.status >= 200);
  }
  send(status: number, opts?: SrfSendOptions, cb?: (err: unknown) => void): void {
    this.sent.push({ status, opts });
    cb?.(null);
  }
}

function deps(overrides: Partial<InviteAdmissionDeps> = {}): InviteAdmissionDeps & { counted: number[] } {
  const counted: number[] = [];
  return {
    log: silentLogger(),
    auth: { trusted: new CidrSet([]), digest: new DigestAuthenticator('gw', []) },
    admission: () => ({ refused: false }),
    routing: {
      layout: { domain: 'meet.jitsi', mucDomain: 'muc.meet.jitsi' },
      roomHeaders: ['X-Room-Name'],
      roomPasswordHeader: 'X-Room-Pass',
      domainBaseHeaders: [],
      tenantHeader: 'X-Tenant',
      numberMap: { '+4930555': 'berlin' },
      defaultRoom: undefined,
      pinPrompt: false,
    },
    checkOffer: codecOfferCheck(),
    warnAgent: () => 'gw.test',
    countResponse: (s) => counted.push(s),
    accepting: () => true,
    ...overrides,
    counted,
  };
}

/** Runs the chain like srf does; returns whether the request reached the end. */
function run(admission: InviteAdmission, req: SrfIncomingRequest, res: FakeResponse): boolean {
  const chain = admission.middleware();
  let i = 0;
  let passed = false;
  const next = (): void => {
    const mw = chain[i++];
    if (mw === undefined) passed = true;
    else mw(req, res, next);
  };
  next();
  return passed;
}

describe('INVITE admission chain', () => {
  it('lets a good INVITE through and records what it learned', () => {
    const a = new InviteAdmission(deps());
    const req = request({ 'Call-ID': 'c1', To: '<sip:gw.test>', From: '<sip:a@b>;tag=1' });
    const res = new FakeResponse();
    expect(run(a, req, res)).toBe(true);
    expect(res.sent).toEqual([]);
    expect(a.admitted(req)).toMatchObject({
      callId: 'c1',
      offer: SDP,
      authenticatedUser: undefined,
      route: { kind: 'room', target: { roomJid: 'berlin@muc.meet.jitsi', source: 'number-map' } },
    });
  });

  it('answers 481 to a re-INVITE of a dialog srf does not know', () => {
    const d = deps();
    const a = new InviteAdmission(d);
    const req = request({ 'Call-ID': 'c2', To: '<sip:gw.test>;tag=abc', From: '<sip:a@b>;tag=1' });
    const res = new FakeResponse();
    expect(run(a, req, res)).toBe(false);
    expect(res.sent.map((s) => s.status)).toEqual([481]);
    expect(d.counted).toEqual([481]);
    expect(a.admitted(req)).toBeUndefined();
  });

  it('answers 500 and stops when a step throws, and carries on with the next request', () => {
    let explode = true;
    const a = new InviteAdmission(deps({ checkOffer: () => { if (explode) throw new TypeError('bug'); } }));
    const res = new FakeResponse();
    expect(run(a, request({ 'Call-ID': 'c3', To: '<sip:gw.test>' }), res)).toBe(false);
    expect(res.sent[0]?.status).toBe(500);
    expect(res.sent[0]?.opts?.headers?.['Retry-After']).toBe('5');
    explode = false;
    expect(run(a, request({ 'Call-ID': 'c4', To: '<sip:gw.test>' }), new FakeResponse())).toBe(true);
  });

  it('answers 400 to an INVITE without a Contact (there would be nowhere to send the BYE)', () => {
    const a = new InviteAdmission(deps());
    const res = new FakeResponse();
    expect(run(a, request({ 'Call-ID': 'c6', To: '<sip:gw.test>', Contact: '' }), res)).toBe(false);
    expect(res.sent.map((s) => s.status)).toEqual([400]);
  });

  it('answers 503 once the app stopped accepting, before anything else', () => {
    const a = new InviteAdmission(deps({ accepting: () => false }));
    const res = new FakeResponse();
    expect(run(a, request({ 'Call-ID': 'c5', To: '<sip:gw.test>' }), res)).toBe(false);
    expect(res.sent[0]?.status).toBe(503);
  });
});
