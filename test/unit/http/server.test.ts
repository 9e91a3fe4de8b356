import { afterEach, describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../../src/http/metrics.js';
import { HttpApi, type HealthCheck, type HttpApiOptions } from '../../../src/http/server.js';
import type { OperatorTransferResult } from '../../../src/call/operator-transfer.js';
import { silentLogger } from '../../../src/log.js';

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

const TOKEN = 'operator-token-0123456789';

async function startApi(health: HealthCheck[], shutdown?: () => void, extra: Partial<HttpApiOptions> = {}): Promise<string> {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  metrics.callsActive.set(2);
  metrics.callEnded('in', 'normal', 42);
  api = new HttpApi({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger(),
    health,
    stats: () => ({ conferences: 1, participants: 3, graceful_shutdown: false }),
    calls: () => ({ calls: [{ id: 'c1', phase: 'connected' }] }),
    metrics,
    version: '1.2.3',
    ...(shutdown ? { shutdown } : {}),
    ...extra,
  });
  const addr = await api.start();
  return `http://127.0.0.1:${addr.port}`;
}

describe('HttpApi', () => {
  it('answers 200 {} when every dependency is healthy, 503 with reasons when not', async () => {
    let xmppProblem: string | undefined;
    const url = await startApi([
      { name: 'xmpp', problem: () => xmppProblem },
      { name: 'drachtio', problem: () => undefined },
    ]);
    let res = await fetch(`${url}/about/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    xmppProblem = 'brewery not joined';
    res = await fetch(`${url}/about/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unhealthy', problems: { xmpp: 'brewery not joined' } });
  });

  it('serves stats, version and Prometheus metrics with one prefix', async () => {
    const url = await startApi([]);
    expect(await (await fetch(`${url}/about/stats`)).json()).toEqual({ conferences: 1, participants: 3, graceful_shutdown: false });
    expect(await (await fetch(`${url}/about/version`)).json()).toMatchObject({ name: 'jitsi-sip-gateway', version: '1.2.3' });
    expect(await (await fetch(`${url}/calls`)).json()).toEqual({ calls: [{ id: 'c1', phase: 'connected' }] });
    expect((await fetch(`${url}/calls`, { method: 'POST' })).status).toBe(405);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('jitsi_sip_gateway_calls_active 2');
    expect(text).toContain('jitsi_sip_gateway_calls_total{direction="in",result="normal"} 1');
    expect(text).toMatch(/jitsi_sip_gateway_call_duration_seconds_count 1/);
  });

  it('drains on POST /about/shutdown only when enabled and only with the bearer token', async () => {
    let asked = 0;
    const url = await startApi([], () => asked++, { apiToken: TOKEN });
    const post = (path: string, auth?: string): Promise<Response> =>
      fetch(`${url}${path}`, { method: 'POST', ...(auth !== undefined ? { headers: { authorization: auth } } : {}) });
    const noToken = await post('/about/shutdown');
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post('/about/shutdown', `Bearer ${TOKEN}x`)).status).toBe(401);
    expect((await post('/about/shutdown', TOKEN)).status).toBe(401);
    expect(asked).toBe(0);
    expect((await post('/about/shutdown', `Bearer ${TOKEN}`)).status).toBe(200);
    expect(asked).toBe(1);
    await api?.stop();
    // Enabled, but no token configured: every POST is off.
    const url2 = await startApi([], () => asked++);
    expect((await fetch(`${url2}/about/shutdown`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(403);
    expect(asked).toBe(1);
    await api?.stop();
    const url3 = await startApi([], undefined, { apiToken: TOKEN });
    expect((await fetch(`${url3}/about/shutdown`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(403);
    expect((await fetch(`${url3}/about/shutdown`)).status).toBe(405);
    expect((await fetch(`${url3}/nope`)).status).toBe(404);
  });

  it('transfers a call through POST /calls/{id}/transfer with the token, and says what became of it', async () => {
    const asked: Array<[string, string]> = [];
    let answer: OperatorTransferResult | undefined = { kind: 'accepted', referStatus: 202, outcome: 'transferred', finalStatus: 200, finalReason: 'OK' };
    const url = await startApi([], undefined, {
      apiToken: TOKEN,
      transfer: async (id, to) => {
        asked.push([id, to]);
        return answer;
      },
    });
    const transfer = (id: string, body: unknown, token: string | null = TOKEN): Promise<Response> =>
      fetch(`${url}/calls/${id}/transfer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await transfer('c1', { to: 'sip:200@pbx.test' }, null)).status).toBe(401);
    expect(asked).toEqual([]);

    let res = await transfer('c1', { to: 'sip:200@pbx.test' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'transferred', referStatus: 202, finalStatus: 200, finalReason: 'OK' });
    expect(asked).toEqual([['c1', 'sip:200@pbx.test']]);

    for (const bad of [{}, { to: 42 }, { to: 'http://x' }, { to: 'sip:200@pbx.test?Replaces=abc' }, { to: '"X" <sip:1@h>' }]) {
      expect((await transfer('c1', bad)).status, JSON.stringify(bad)).toBe(400);
    }
    answer = { kind: 'refused', referStatus: 405, reason: 'REFER answered 405' };
    res = await transfer('c1', { to: 'sip:200@pbx.test' });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ status: 'refused', referStatus: 405 });
    answer = { kind: 'not-possible', reason: 'the call is ringing' };
    expect((await transfer('c1', { to: 'sip:200@pbx.test' })).status).toBe(409);
    answer = undefined;
    expect((await transfer('nope', { to: 'sip:200@pbx.test' })).status).toBe(404);
    expect(asked).toHaveLength(4);
  });
});
