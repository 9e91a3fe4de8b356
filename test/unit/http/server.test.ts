import { afterEach, describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../../src/http/metrics.js';
import { HttpApi, type HealthCheck } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/log.js';

let api: HttpApi | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

async function startApi(health: HealthCheck[], shutdown?: () => void): Promise<string> {
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

  it('drains on POST /about/shutdown only when enabled', async () => {
    let asked = 0;
    const url = await startApi([], () => asked++);
    expect((await fetch(`${url}/about/shutdown`, { method: 'POST' })).status).toBe(200);
    expect(asked).toBe(1);
    await api?.stop();
    const url2 = await startApi([]);
    expect((await fetch(`${url2}/about/shutdown`, { method: 'POST' })).status).toBe(403);
    expect((await fetch(`${url2}/about/shutdown`)).status).toBe(405);
    expect((await fetch(`${url2}/nope`)).status).toBe(404);
  });
});
