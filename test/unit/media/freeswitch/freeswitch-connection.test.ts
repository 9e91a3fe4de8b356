import { afterEach, describe, expect, it } from 'vitest';
import type { EslProbeResult } from '../../../../src/media/freeswitch/esl-probe.js';
import { FreeswitchConnection } from '../../../../src/media/freeswitch/freeswitch-connection.js';
import { FakeFsMediaServer, TEST_CONNECTION } from '../../../support/fs-fakes.js';
import { until } from '../../../support/until.js';

const OK: EslProbeResult = { ok: true };
const REFUSED: EslProbeResult = { ok: false, kind: 'unreachable', message: '127.0.0.1:8021: connect ECONNREFUSED' };
const BAD_PASSWORD: EslProbeResult = { ok: false, kind: 'auth', message: 'event socket refused the password (-ERR invalid)' };

/** A FreeSWITCH whose probe answers and connections are scripted per attempt. */
function setup(probeResults: EslProbeResult[], fallback: EslProbeResult = OK) {
  const probes: string[] = [];
  /** `problem` as each probe starts: what the previous attempt left. */
  const problemsSeen: Array<string | undefined> = [];
  const servers: FakeFsMediaServer[] = [];
  const conn: FreeswitchConnection = new FreeswitchConnection({
    ...TEST_CONNECTION,
    probe: async (host, port, secret) => {
      probes.push(`${host}:${port}:${secret}`);
      problemsSeen.push(conn.problem);
      return probeResults.shift() ?? fallback;
    },
    connector: async () => {
      const ms = new FakeFsMediaServer();
      servers.push(ms);
      return ms;
    },
  });
  const events: string[] = [];
  conn.on('connected', () => events.push('connected'));
  conn.on('disconnected', (reason) => events.push(`disconnected:${reason}`));
  started.push(conn);
  return { conn, probes, problemsSeen, servers, events };
}

const started: FreeswitchConnection[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
});

describe('FreeswitchConnection', () => {
  it('connects when the probe finds FreeSWITCH', async () => {
    const { conn, probes, servers, events } = setup([OK]);
    expect(conn.state).toBe('disconnected');
    expect(conn.problem).toBe('not connected yet');
    conn.start();
    expect(conn.state).toBe('connecting');
    await until(() => conn.state === 'connected', 1000, 'connected');
    expect(probes).toEqual(['127.0.0.1:8021:ClueCon']);
    expect(events).toEqual(['connected']);
    expect(conn.mediaServer).toBe(servers[0]);
    expect(conn.problem).toBeUndefined();
  });

  it('retries after a failed probe and says why it is not connected', async () => {
    const { conn, probes, problemsSeen, servers } = setup([REFUSED, REFUSED]);
    conn.start();
    await until(() => conn.state === 'connected', 2000, 'connected');
    expect(probes).toHaveLength(3);
    expect(servers).toHaveLength(1);
    expect(problemsSeen).toEqual(['not connected yet', REFUSED.message, REFUSED.message]);
    expect(conn.problem).toBeUndefined();
  });

  it('retries a refused password too, and shows it as the problem', async () => {
    const { conn, probes, servers } = setup([], BAD_PASSWORD);
    conn.start();
    await until(() => probes.length >= 3, 2000, 'retries');
    expect(conn.state).not.toBe('connected');
    expect(conn.problem).toBe(BAD_PASSWORD.message);
    expect(conn.mediaServer).toBeUndefined();
    expect(servers).toEqual([]);
  });

  it('retries when drachtio-fsmrf cannot connect after a good probe', async () => {
    let failures = 1;
    const problems: Array<string | undefined> = [];
    const conn: FreeswitchConnection = new FreeswitchConnection({
      ...TEST_CONNECTION,
      probe: async () => OK,
      connector: async () => {
        problems.push(conn.problem);
        if (failures-- > 0) throw new Error('timeout');
        return new FakeFsMediaServer();
      },
    });
    started.push(conn);
    conn.start();
    await until(() => conn.state === 'connected', 2000, 'connected');
    expect(problems).toEqual(['not connected yet', 'drachtio-fsmrf could not connect: timeout']);
  });

  it('tells its listeners when the connection is lost, and connects again', async () => {
    const { conn, servers, events } = setup([OK, REFUSED]);
    conn.start();
    await until(() => conn.state === 'connected', 1000, 'connected');

    servers[0]?.lose('event socket connection closed');
    expect(events).toEqual(['connected', 'disconnected:event socket connection closed']);
    expect(conn.state).toBe('disconnected');
    expect(conn.mediaServer).toBeUndefined();
    expect(conn.problem).toContain('event socket connection closed');

    await until(() => conn.state === 'connected', 2000, 'reconnected');
    expect(servers).toHaveLength(2);
    expect(conn.mediaServer).toBe(servers[1]);
    expect(events).toEqual(['connected', 'disconnected:event socket connection closed', 'connected']);
  });

  it('stop() disconnects the media server without reporting a loss', async () => {
    const { conn, servers, events } = setup([OK]);
    conn.start();
    await until(() => conn.state === 'connected', 1000, 'connected');
    await conn.stop();
    expect(servers[0]?.disconnects).toBe(1);
    expect(conn.state).toBe('disconnected');
    expect(conn.problem).toBe('stopped');
    expect(conn.mediaServer).toBeUndefined();
    expect(events).toEqual(['connected']);
  });

  it('stop() ends the retrying', async () => {
    const { conn, probes } = setup([], REFUSED);
    conn.start();
    await until(() => probes.length >= 2, 2000, 'a retry');
    await conn.stop();
    const count = probes.length;
    await new Promise((r) => setTimeout(r, 80));
    expect(probes).toHaveLength(count);
    expect(conn.state).toBe('disconnected');
  });

  it('drops a connection that completes after stop()', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const servers: FakeFsMediaServer[] = [];
    const conn = new FreeswitchConnection({
      ...TEST_CONNECTION,
      probe: async () => OK,
      connector: async () => {
        await gate;
        const ms = new FakeFsMediaServer();
        servers.push(ms);
        return ms;
      },
    });
    conn.start();
    await new Promise((r) => setTimeout(r, 5));
    const stopping = conn.stop();
    release();
    await stopping;
    expect(servers[0]?.disconnects).toBe(1);
    expect(conn.mediaServer).toBeUndefined();
    expect(conn.state).toBe('disconnected');
  });

  it('gives up on a connect that never reports ready, retries, and closes it if it comes late', async () => {
    const gates: Array<() => void> = [];
    const servers: FakeFsMediaServer[] = [];
    const conn = new FreeswitchConnection({
      ...TEST_CONNECTION,
      connectTimeoutMs: 30,
      probe: async () => OK,
      connector: async () => {
        const ms = new FakeFsMediaServer();
        servers.push(ms);
        // The first attempt hangs (as drachtio-fsmrf does with a wrong password); later ones work.
        if (servers.length === 1) await new Promise<void>((r) => gates.push(r));
        return ms;
      },
    });
    started.push(conn);
    conn.start();
    await until(() => conn.state === 'connected', 2000, 'second attempt connected');
    expect(servers).toHaveLength(2);
    expect(conn.mediaServer).toBe(servers[1]);
    gates[0]?.();
    await until(() => servers[0]?.disconnects === 1, 2000, 'late connection closed');
    expect(conn.mediaServer).toBe(servers[1]);
  });
});
