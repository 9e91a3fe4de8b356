import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CallRegistry } from '../../../src/call/registry.js';
import { idleSnapshot } from '../../support/call-snapshot-fake.js';
import type { DtmfInfo } from '../../../src/sip/info-payloads.js';
import { drachtioAvailable, sippAvailable } from '../../support/drachtio-server.js';
import { bodyMatches, goTo, header, label, log, okToLastRequest, pause, recv, request, runSipp, scenario, sdpOffer, type SippRun } from '../../support/sipp.js';
import { GATEWAY_SDP, RealDrachtioGateway } from './support/drachtio-server-app.js';

/**
 * The SIP app against a real drachtio-server, called by a real phone (sipp): the scenarios the
 * drachtio double covers in the other files of this folder, on the wire. Runs when DRACHTIO_BIN
 * points at a drachtio binary (v0.9.x); everything binds 127.0.0.1 on free ports.
 */
const SIPP = sippAvailable();
const available = drachtioAvailable() && SIPP;
if (!available) {
  console.log(SIPP ? 'skipped: drachtio-server not available (set DRACHTIO_BIN)' : 'skipped: sipp not available');
}

const FIXTURE_CALL = new URL('./fixtures/sipp-uac-call.xml', import.meta.url);
const ROOM = 'X-Room-Name: sipp-room';
const TEST_TIMEOUT = 30_000;

function invite(cseq: number, o: { headers?: string[]; sdp?: string[] } = {}): string {
  return request('INVITE', { cseq, headers: o.headers ?? [ROOM], contentType: 'application/sdp', body: o.sdp ?? sdpOffer() });
}

/** ACK to a non-2xx final response: same transaction as the INVITE, the gateway's To tag. */
const ackFailure = (cseq: number): string => request('ACK', { cseq, sameTransaction: true, toTag: true });

/** INVITE refused with `status`; `actions` check the response. */
function refusedCall(status: number, o: { headers?: string[]; sdp?: string[]; actions?: string[] } = {}): string {
  return scenario(`refused with ${status}`, [invite(1, o), recv(100, { optional: true }), recv(status, { actions: o.actions ?? [] }), ackFailure(1)]);
}

interface AnsweredCallOptions {
  /** What the phone sends first; a plain INVITE with CSeq 1 by default. */
  opening?: string[];
  /** CSeq of the INVITE that gets answered. */
  inviteCseq?: number;
  /** In-dialog steps after the ACK, given the next CSeq; `requests` is how many CSeqs they use. */
  middle?: { steps: (cseq: number) => string[]; requests: number };
  /** The opening already received the provisional responses. */
  skipRinging?: boolean;
}

/** A call answered and confirmed, then the middle steps, then the phone's BYE. */
function answeredCall(o: AnsweredCallOptions = {}): string {
  const cseq = o.inviteCseq ?? 1;
  const middle = o.middle ?? { steps: () => [], requests: 0 };
  return scenario('answered call', [
    ...(o.opening ?? [invite(cseq)]),
    ...(o.skipRinging === true ? [] : [recv(100, { optional: true }), recv(180)]),
    recv(200, { rrs: true }),
    request('ACK', { cseq, inDialog: true }),
    ...middle.steps(cseq + 1),
    pause(100),
    request('BYE', { cseq: cseq + 1 + middle.requests, inDialog: true, headers: ['Reason: Q.850;cause=16;text="sipp done"'] }),
    recv(200),
  ]);
}

function expectRun(run: SippRun, gw: RealDrachtioGateway): void {
  expect(run.code, `${run.report()}\n--- drachtio ---\n${gw.drachtio.tail()}`).toBe(0);
}

describe.skipIf(!available)('SipApp on a real drachtio-server, called by sipp', () => {
  describe('an open gateway', () => {
    let gw: RealDrachtioGateway;

    beforeAll(async () => {
      gw = await RealDrachtioGateway.start({ timing: { retryAfterSeconds: { draining: 600, capacity: 7 } } });
    }, TEST_TIMEOUT);
    afterAll(async () => gw?.stop());
    beforeEach(() => gw.reset());

    it('completes INVITE/180/200/ACK/BYE and reports the caller hanging up', async () => {
      const run = await runSipp(await readFile(FIXTURE_CALL, 'utf8'), { target: gw.target });
      expectRun(run, gw);
      expect(gw.calls).toHaveLength(1);
      const call = gw.calls[0]!;
      expect(call.route).toEqual({ kind: 'room', target: { roomJid: 'sipp-room@muc.meet.jitsi', password: undefined, source: 'header' } });
      expect(call.meta.from).toMatchObject({ displayName: 'sipp caller', user: '+15550009999' });
      await expect.poll(() => call.endCause, { timeout: 5000 }).toBe('remote-bye');
      expect(gw.responses).toEqual([200]);
    }, TEST_TIMEOUT);

    it('answers 503 with the capacity Retry-After when admission refuses for capacity', async () => {
      gw.admission = () => ({ refused: true, status: 503, reason: 'capacity' });
      const run = await runSipp(refusedCall(503, { actions: [...header('Retry-After', '[0-9]+'), ...header('Reason', 'capacity')] }), { target: gw.target });
      expectRun(run, gw);
      expect(run.logged('RETRY-AFTER')).toEqual(['7']);
      expect(gw.calls).toHaveLength(0);
      expect(gw.responses).toEqual([503]);
    }, TEST_TIMEOUT);

    it('answers 404 when the INVITE names no room and there is no default room or PIN prompt', async () => {
      const run = await runSipp(refusedCall(404, { headers: [], actions: header('Reason', 'no room given') }), { target: gw.target });
      expectRun(run, gw);
      expect(gw.calls).toHaveLength(0);
      expect(gw.responses).toEqual([404]);
    }, TEST_TIMEOUT);

    it('answers a CANCEL while ringing with 200 and 487, and the leg reports cancelled', async () => {
      const events: string[] = [];
      gw.onCall = ({ leg }) => {
        leg.on('cancelled', () => events.push('cancelled'));
        leg.on('ended', (cause) => events.push(`ended:${cause}`));
      };
      const run = await runSipp(
        scenario('cancel while ringing', [
          invite(1),
          recv(100, { optional: true }),
          recv(180),
          pause(100),
          request('CANCEL', { cseq: 1, sameTransaction: true }),
          recv(200),
          recv(487),
          ackFailure(1),
        ]),
        { target: gw.target },
      );
      expectRun(run, gw);
      expect(gw.calls).toHaveLength(1);
      await expect.poll(() => events, { timeout: 5000 }).toEqual(['cancelled', 'ended:cancelled']);
      expect(gw.calls[0]!.leg.state).toBe('ended');
      expect(gw.responses).toEqual([487]);
    }, TEST_TIMEOUT);

    it('answers an UPDATE while ringing: 500 with Retry-After to an offer (RFC 3311), 200 to a refresh', async () => {
      gw.onCall = ({ leg }) => {
        setTimeout(() => void leg.answer(GATEWAY_SDP).catch(() => undefined), 1500);
      };
      const run = await runSipp(
        answeredCall({
          opening: [
            invite(1),
            recv(100, { optional: true }),
            recv(180, { rrs: true }),
            request('UPDATE', { cseq: 2, inDialog: true, contentType: 'application/sdp', body: sdpOffer({ version: 2 }) }),
            recv(500, { actions: header('Retry-After', '[0-9]+') }),
            request('UPDATE', { cseq: 3, inDialog: true }),
            recv(200),
          ],
          skipRinging: true,
          // The BYE's CSeq must follow the two UPDATEs'.
          middle: { steps: () => [], requests: 2 },
        }),
        { target: gw.target },
      );
      expectRun(run, gw);
      const retry = Number(run.logged('RETRY-AFTER')[0]);
      expect(retry).toBeGreaterThanOrEqual(0);
      expect(retry).toBeLessThanOrEqual(10);
      expect(gw.calls[0]?.endCause).toBe('remote-bye');
    }, TEST_TIMEOUT);

    it('answers hold and unhold re-INVITEs through the reinvite handler', async () => {
      const offers: string[] = [];
      gw.onCall = ({ leg }) => {
        leg.setReinviteHandler(async (offer) => {
          offers.push(offer);
          const direction = /a=sendonly/.test(offer) ? 'recvonly' : 'sendrecv';
          return GATEWAY_SDP.replace('o=- 1 1', `o=- 1 ${offers.length + 1}`).replace('a=sendrecv', `a=${direction}`);
        });
        void leg.answer(GATEWAY_SDP).catch(() => undefined);
      };
      const reinvite = (cseq: number, direction: string, answered: string): string[] => [
        request('INVITE', { cseq, inDialog: true, contentType: 'application/sdp', body: sdpOffer({ direction, version: cseq }) }),
        recv(100, { optional: true }),
        recv(200, { actions: bodyMatches(`a=${answered}`, `ANSWER${cseq}`) }),
        request('ACK', { cseq, inDialog: true }),
      ];
      const run = await runSipp(
        answeredCall({ middle: { steps: (cseq) => [pause(100), ...reinvite(cseq, 'sendonly', 'recvonly'), ...reinvite(cseq + 1, 'sendrecv', 'sendrecv')], requests: 2 } }),
        { target: gw.target },
      );
      expectRun(run, gw);
      expect([...run.logged('ANSWER2'), ...run.logged('ANSWER3')]).toEqual(['a=recvonly', 'a=sendrecv']);
      expect(offers).toHaveLength(2);
      expect(offers[0]).toContain('a=sendonly');
      expect(offers[1]).toContain('a=sendrecv');
      const call = gw.calls[0]!;
      await expect.poll(() => call.endCause, { timeout: 5000 }).toBe('remote-bye');
      expect(call.leg.remoteSdp).toContain('a=sendrecv');
    }, TEST_TIMEOUT);

    it('refuses unusable SDP with 488 and a Warning, then answers a good call', async () => {
      const gsm = await runSipp(
        refusedCall(488, { sdp: sdpOffer({ codecs: ['3 GSM/8000'] }), actions: header('Warning', '399 [^ ]+ "no common codec: offered GSM') }),
        { target: gw.target },
      );
      expectRun(gsm, gw);
      const noConnection = await runSipp(
        refusedCall(488, { sdp: sdpOffer({ omitConnection: true }), actions: header('Warning', 'no c= line') }),
        { target: gw.target },
      );
      expectRun(noConnection, gw);
      expect(gw.calls).toHaveLength(0);

      const good = await runSipp(answeredCall(), { target: gw.target });
      expectRun(good, gw);
      expect(gw.calls).toHaveLength(1);
      expect(gw.responses).toEqual([488, 488, 200]);
    }, TEST_TIMEOUT);

    it('answers INFO application/dtmf-relay with 200 and the leg emits the digit', async () => {
      const digits: DtmfInfo[] = [];
      gw.onCall = ({ leg }) => {
        leg.on('dtmf', (d) => digits.push(d));
        void leg.answer(GATEWAY_SDP).catch(() => undefined);
      };
      const info = (cseq: number): string[] => [
        request('INFO', { cseq, inDialog: true, contentType: 'application/dtmf-relay', body: ['Signal=5', 'Duration=160'] }),
        recv(200),
      ];
      const run = await runSipp(answeredCall({ middle: { steps: info, requests: 1 } }), { target: gw.target });
      expectRun(run, gw);
      expect(digits).toEqual([{ digit: '5', durationMs: 160 }]);
    }, TEST_TIMEOUT);

    it('answers OPTIONS with 200 while serving, 503 while full or draining', async () => {
      const probe = (status: number, actions: string[]): string =>
        scenario(`options ${status}`, [request('OPTIONS', { cseq: 1, headers: ['Accept: application/sdp'] }), recv(status, { actions })]);
      const serving = await runSipp(probe(200, [...header('Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE'), ...header('Accept', 'application/sdp')]), { target: gw.target });
      expectRun(serving, gw);
      gw.admission = () => ({ refused: true, status: 503, reason: 'capacity' });
      const full = await runSipp(probe(503, header('Retry-After', '[0-9]+')), { target: gw.target });
      expectRun(full, gw);
      expect(full.logged('RETRY-AFTER')).toEqual(['7']);
      gw.admission = () => ({ refused: true, status: 503, reason: 'draining' });
      const draining = await runSipp(probe(503, header('Retry-After', '[0-9]+')), { target: gw.target });
      expectRun(draining, gw);
      // The same Retry-After as an INVITE refused while draining.
      expect(draining.logged('RETRY-AFTER')).toEqual(['600']);
      expect(gw.calls).toHaveLength(0);
    }, TEST_TIMEOUT);

    it('turns an INVITE flood beyond capacity away with 503 while the admitted calls complete', async () => {
      const CALLS = 10;
      const registry = new CallRegistry(2);
      gw.admission = () => registry.admission();
      gw.onCall = ({ leg }) => {
        registry.add({ id: leg.callId, roomJid: undefined, roomOccupants: [], orphaned: false, snapshot: () => idleSnapshot(leg.callId), close: () => leg.hangup() });
        leg.on('ended', () => registry.remove(leg.callId, 'normal'));
        void leg.answer(GATEWAY_SDP).catch(() => undefined);
      };
      // Admitted calls stay up until the gateway hangs up, so capacity holds for the whole flood.
      const flood = scenario('invite flood', [
        invite(1),
        recv(100, { optional: true }),
        recv(180, { optional: true }),
        recv(503, { optional: true, next: 'refused', actions: header('Retry-After', '[0-9]+') }),
        recv(200, { rrs: true }),
        request('ACK', { cseq: 1, inDialog: true }),
        log('OUTCOME 200'),
        recv('BYE', { timeoutMs: 10_000 }),
        okToLastRequest(),
        goTo('done'),
        label('refused'),
        ackFailure(1),
        log('OUTCOME 503'),
        label('done'),
      ]);
      const running = runSipp(flood, { target: gw.target, calls: CALLS, rate: 100 });
      await expect.poll(() => gw.responses.length, { timeout: 15_000 }).toBe(CALLS);
      const legs = gw.calls.map((c) => c.leg);
      await Promise.all(legs.map((leg) => leg.hangup('flood over')));
      const run = await running;
      expectRun(run, gw);
      expect([...gw.responses].sort()).toEqual([200, 200, ...Array<number>(CALLS - 2).fill(503)]);
      expect(run.logged('OUTCOME').sort()).toEqual(gw.responses.map(String).sort());
      expect(run.logged('RETRY-AFTER')).toEqual(Array<string>(CALLS - 2).fill('7'));
      expect(gw.calls.map((c) => c.endCause)).toEqual(['local-hangup', 'local-hangup']);
      expect(gw.app.legCount).toBe(0);
      expect(registry.size).toBe(0);
    }, TEST_TIMEOUT);
  });

  describe('a gateway that trusts only 10.0.0.0/8', () => {
    let gw: RealDrachtioGateway;
    beforeAll(async () => {
      gw = await RealDrachtioGateway.start({ sip: { trustedNetworks: ['10.0.0.0/8'] } });
    }, TEST_TIMEOUT);
    afterAll(async () => gw?.stop());

    it('refuses a caller from 127.0.0.1 with 403', async () => {
      const run = await runSipp(refusedCall(403, { actions: header('Reason', 'trusted network') }), { target: gw.target });
      expectRun(run, gw);
      expect(gw.calls).toHaveLength(0);
      expect(gw.responses).toEqual([403]);
    }, TEST_TIMEOUT);
  });

  describe('a gateway with digest users', () => {
    let gw: RealDrachtioGateway;
    beforeAll(async () => {
      gw = await RealDrachtioGateway.start({ sip: { inboundUsers: [{ username: '1000', password: 's3cret' }] } });
    }, TEST_TIMEOUT);
    afterAll(async () => gw?.stop());

    it('challenges with 401 and admits the caller who answers the challenge', async () => {
      const challenged = [
        invite(1),
        recv(100, { optional: true }),
        recv(401, { auth: true, actions: header('WWW-Authenticate', 'realm="gateway.test"') }),
        ackFailure(1),
        invite(2, { headers: [ROOM, '[authentication username=1000 password=s3cret]'] }),
      ];
      const run = await runSipp(answeredCall({ opening: challenged, inviteCseq: 2 }), { target: gw.target });
      expectRun(run, gw);
      expect(gw.calls).toHaveLength(1);
      const call = gw.calls[0]!;
      expect(call.meta.authenticatedUser).toBe('1000');
      await expect.poll(() => call.endCause, { timeout: 5000 }).toBe('remote-bye');
      expect(gw.responses).toEqual([401, 200]);
    }, TEST_TIMEOUT);
  });
});
