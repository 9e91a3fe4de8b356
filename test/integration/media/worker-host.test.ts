import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import type { BridgeLocal, CallMediaStats } from '../../../src/media/call-media.js';
import { SdpNegotiationError } from '../../../src/media/caller/sdp-negotiation.js';
import { BridgeTransportError } from '../../../src/media/bridge/errors.js';
import type { FromWorker } from '../../../src/media/worker/protocol.js';
import { fromWire, toWire } from '../../../src/media/worker/worker-errors.js';
import { MediaWorkerHost } from '../../../src/media/worker/worker-host.js';
import { RtpPhone } from '../../support/rtp-phone.js';
import { until } from '../../support/until.js';
import { testEngine } from './engine-harness.js';

/** The worker side of the protocol, driven in this thread against a real engine on loopback. */
describe('MediaWorkerHost', () => {
  const out: FromWorker[] = [];
  let host: MediaWorkerHost | undefined;
  let phone: RtpPhone | undefined;

  afterEach(async () => {
    await host?.shutdown();
    await phone?.close();
    out.length = 0;
  });

  function replyTo(id: number): Extract<FromWorker, { t: 'reply' }> | undefined {
    return out.find((m): m is Extract<FromWorker, { t: 'reply' }> => m.t === 'reply' && m.id === id);
  }
  async function reply(id: number): Promise<Extract<FromWorker, { t: 'reply' }>> {
    await until(() => replyTo(id) !== undefined, 2000, `reply ${id}`);
    const r = replyTo(id);
    if (r === undefined) throw new Error('no reply');
    return r;
  }

  it('serves a call: answers its SDP, gives its bridge parameters, pushes counters and closes it', async () => {
    host = new MediaWorkerHost(testEngine(), (m) => out.push(m), silentLogger());
    phone = await RtpPhone.create({ codec: 'PCMU' });
    host.handle({ t: 'create', id: 1, callId: 'c1' });
    expect((await reply(1)).ok).toBe(true);

    host.handle({ t: 'request', id: 2, callId: 'c1', req: { op: 'answerCaller', offer: phone.offer() } });
    const answered = await reply(2);
    if (!answered.ok) throw new Error('answer refused');
    expect(String(answered.value)).toMatch(/^m=audio \d+ RTP\/AVP 0/m);
    expect(answered.mirror).toEqual({ callerHasTelephoneEvent: true });

    host.handle({ t: 'request', id: 3, callId: 'c1', req: { op: 'bridgeLocal' } });
    const local = await reply(3);
    expect(local.ok && (local.value as BridgeLocal).ufrag.length).toBeGreaterThan(3);

    host.handle({ t: 'request', id: 4, callId: 'c1', req: { op: 'close' } });
    await reply(4);
    // The final counters come before the close is answered.
    const i = out.findIndex((m) => m.t === 'stats');
    expect(i).toBeGreaterThanOrEqual(0);
    expect(i).toBeLessThan(out.findIndex((m) => m.t === 'reply' && m.id === 4));
    const stats = out[i] as { calls: Array<[string, CallMediaStats]> };
    expect(stats.calls[0]?.[0]).toBe('c1');
  });

  it('answers a refused offer with the error the call layer tells apart, and unknown calls with a state error', async () => {
    host = new MediaWorkerHost(testEngine(), (m) => out.push(m), silentLogger());
    host.handle({ t: 'create', id: 1, callId: 'c2' });
    await reply(1);
    host.handle({ t: 'request', id: 2, callId: 'c2', req: { op: 'answerCaller', offer: 'v=0\r\nm=video 9 RTP/AVP 96\r\n' } });
    const refused = await reply(2);
    if (refused.ok) throw new Error('accepted');
    expect(fromWire(refused.error)).toBeInstanceOf(SdpNegotiationError);
    host.handle({ t: 'request', id: 3, callId: 'nope', req: { op: 'bridgeReady' } });
    const unknown = await reply(3);
    expect(unknown.ok).toBe(false);
    // Closing a call the worker does not have is fine: close is idempotent.
    host.handle({ t: 'request', id: 4, callId: 'nope', req: { op: 'close' } });
    expect((await reply(4)).ok).toBe(true);
  });
});

describe('worker error codec', () => {
  it('puts back the class, status, label and bridge reason', () => {
    const sdp = fromWire(toWire(new SdpNegotiationError('no codec')));
    expect(sdp).toBeInstanceOf(SdpNegotiationError);
    expect((sdp as SdpNegotiationError).sipStatus).toBe(488);
    const bridge = fromWire(toWire(new BridgeTransportError('ice-timeout', 'late')));
    expect(bridge).toMatchObject({ reason: 'ice-timeout', message: 'late' });
    const other = fromWire(toWire(Object.assign(new Error('ports'), { name: 'PortExhaustedError', sipStatus: 503, metricLabel: 'port_exhausted' })));
    expect(other).toMatchObject({ name: 'PortExhaustedError', sipStatus: 503, metricLabel: 'port_exhausted' });
  });
});
