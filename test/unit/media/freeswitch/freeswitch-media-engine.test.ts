import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/log.js';
import type { CallMedia } from '../../../../src/media/call-media.js';
import { FreeswitchConnection } from '../../../../src/media/freeswitch/freeswitch-connection.js';
import { FreeswitchMediaEngine, MediaUnavailableError } from '../../../../src/media/freeswitch/freeswitch-media-engine.js';
import { PortExhaustedError } from '../../../../src/media/port-allocator.js';
import { FakeCallMedia, FakeMediaEngine } from '../../../support/call-fakes.js';
import { FakeFsMediaServer, TEST_CONNECTION } from '../../../support/fs-fakes.js';
import { until } from '../../../support/until.js';

/** The bridge-side engine; remembers being closed and can hold a creation back. */
class RecordingEngine extends FakeMediaEngine {
  closed = false;
  gate: Promise<void> | undefined;

  override async createCallMedia(): Promise<CallMedia> {
    await this.gate;
    return super.createCallMedia();
  }

  override async close(): Promise<void> {
    this.closed = true;
  }
}

const connections: FreeswitchConnection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.stop()));
});

function setup() {
  const servers: FakeFsMediaServer[] = [];
  const connection = new FreeswitchConnection({
    ...TEST_CONNECTION,
    probe: async () => ({ ok: true }),
    connector: async () => {
      const ms = new FakeFsMediaServer();
      servers.push(ms);
      return ms;
    },
  });
  connections.push(connection);
  const inner = new RecordingEngine();
  const engine = new FreeswitchMediaEngine(inner, connection, { promptDir: '/prompts', callerRtpTimeoutMs: 0, destroyTimeoutMs: 30 }, silentLogger());
  return { connection, servers, inner, engine };
}

async function connected(connection: FreeswitchConnection): Promise<void> {
  connection.start();
  await until(() => connection.state === 'connected', 1000, 'connected');
}

describe('FreeswitchMediaEngine', () => {
  it('refuses calls with 503 while FreeSWITCH is not connected', async () => {
    const { inner, engine } = setup();
    const err = await engine.createCallMedia({ callId: 'c1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaUnavailableError);
    expect((err as MediaUnavailableError).sipStatus).toBe(503);
    expect((err as Error).message).toContain('not connected yet');
    expect(inner.created).toEqual([]);
    expect(engine.activeCalls).toBe(0);
  });

  it('passes the engine\'s port exhaustion on with its 503, holding nothing', async () => {
    const { connection, inner, engine } = setup();
    await connected(connection);
    inner.gate = Promise.reject(new PortExhaustedError({ min: 20000, max: 20001 }, '127.0.0.1'));
    const err = await engine.createCallMedia({ callId: 'c1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortExhaustedError);
    expect((err as PortExhaustedError).sipStatus).toBe(503);
    expect(engine.activeCalls).toBe(0);
  });

  it('creates the engine media for each call and counts the live ones', async () => {
    const { connection, inner, engine } = setup();
    await connected(connection);
    const a = await engine.createCallMedia({ callId: 'a' });
    const b = await engine.createCallMedia({ callId: 'b' });
    expect(inner.created).toHaveLength(2);
    expect(engine.activeCalls).toBe(2);
    await a.close();
    expect(engine.activeCalls).toBe(1);
    expect(inner.created[0]?.closed).toBe(true);
    await b.close();
    expect(engine.activeCalls).toBe(0);
  });

  it('fails every live call when the FreeSWITCH connection drops', async () => {
    const { connection, servers, engine } = setup();
    await connected(connection);
    const calls = [await engine.createCallMedia({ callId: 'a' }), await engine.createCallMedia({ callId: 'b' })];
    const closed = await engine.createCallMedia({ callId: 'c' });
    await closed.close();
    const failed: string[] = [];
    calls.forEach((c, i) => c.on('callerMediaFailed', (reason) => failed.push(`${i}:${reason}`)));
    closed.on('callerMediaFailed', () => failed.push('closed call'));

    servers[0]?.lose('event socket connection closed');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(/^0:.*event socket connection closed/);
    expect(failed[1]).toMatch(/^1:.*event socket connection closed/);
  });

  it('refuses a call whose connection dropped while its engine media was created', async () => {
    const { connection, servers, inner, engine } = setup();
    await connected(connection);
    let release: () => void = () => undefined;
    inner.gate = new Promise((r) => (release = r));
    const creating = engine.createCallMedia({ callId: 'a' }).catch((e: unknown) => e);
    servers[0]?.lose('event socket connection closed');
    release();
    const err = await creating;
    expect(err).toBeInstanceOf(MediaUnavailableError);
    expect(inner.created[0]?.closed).toBe(true);
    expect(engine.activeCalls).toBe(0);
  });

  it('close() closes the calls and the engine', async () => {
    const { connection, inner, engine } = setup();
    await connected(connection);
    await engine.createCallMedia({ callId: 'a' });
    await engine.createCallMedia({ callId: 'b' });
    await engine.close();
    expect(inner.created.every((m: FakeCallMedia) => m.closed)).toBe(true);
    expect(engine.activeCalls).toBe(0);
    expect(inner.closed).toBe(true);
    await expect(engine.createCallMedia({ callId: 'c' })).rejects.toThrow(/closed/);
  });
});
