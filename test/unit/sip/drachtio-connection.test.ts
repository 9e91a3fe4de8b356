import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type Srf from 'drachtio-srf';
import { silentLogger } from '../../../src/log.js';
import {
  DrachtioConnection,
  DrachtioConnectionError,
  parseHostports,
  type DrachtioConnectionState,
} from '../../../src/sip/drachtio-connection.js';
import { Backoff } from '../../../src/util/backoff.js';

/**
 * Behaves like drachtio-srf at its connection surface: connect() starts one attempt,
 * disconnect() throws (as srf's assertion does) while no socket exists, and events come as
 * srf emits them: 'connect' (err, hostports, version, localHostports), 'error', 'close'.
 */
class FakeSrf extends EventEmitter {
  readonly connectCalls: unknown[] = [];
  disconnectCalls = 0;
  /** Whether the current attempt has a TCP socket srf could end. */
  socket: 'none' | 'open' = 'none';
  /** Emit 'close' when disconnect() ends the socket (a well-behaved server). */
  closeOnDisconnect = true;

  connect(opts: unknown): this {
    this.connectCalls.push(opts);
    return this;
  }

  disconnect(): void {
    this.disconnectCalls += 1;
    if (this.socket === 'none') throw new Error('AssertionError: socket');
    if (this.closeOnDisconnect) this.close();
  }

  tcpUp(): void {
    this.socket = 'open';
  }

  authenticate(hostports = 'udp/10.0.0.5:5060,tcp/10.0.0.5:5060', version = 'v0.9.4', local = 'udp/192.168.1.5:5060'): void {
    this.socket = 'open';
    this.emit('connect', null, hostports, version, local);
  }

  rejectSecret(): void {
    this.socket = 'open';
    this.emit('connect', new Error('failed to authenticate to server'));
  }

  refuse(): void {
    this.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:9022'));
    this.close();
  }

  close(): void {
    this.socket = 'none';
    this.emit('close');
  }
}

/** Backoff with no jitter: 100, 200, 400… capped at 1000. */
const fixedBackoff = (): Backoff => new Backoff(100, 1000, () => 1);

function setup(extra: { closeTimeoutMs?: number } = {}): { fake: FakeSrf; conn: DrachtioConnection; events: string[] } {
  const fake = new FakeSrf();
  const conn = new DrachtioConnection({
    host: '127.0.0.1',
    port: 9022,
    secret: 'cymru',
    logger: silentLogger(),
    backoff: fixedBackoff(),
    srf: fake as unknown as Srf,
    ...extra,
  });
  const events: string[] = [];
  conn.on('connecting', (n) => events.push(`connecting#${n}`));
  conn.on('connected', () => events.push('connected'));
  conn.on('disconnected', (reason) => events.push(`disconnected:${reason}`));
  conn.on('error', (err) => events.push(`error:${err.kind}`));
  return { fake, conn, events };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('parseHostports', () => {
  it('reads drachtio transport lists, including bracketed IPv6, and skips junk', () => {
    expect(parseHostports('udp/10.0.0.5:5060,TCP/[2001:db8::1]:5061,garbage')).toEqual([
      { protocol: 'udp', address: '10.0.0.5', port: 5060 },
      { protocol: 'tcp', address: '2001:db8::1', port: 5061 },
    ]);
    expect(parseHostports(undefined)).toEqual([]);
    expect(parseHostports(null)).toEqual([]);
  });
});

describe('DrachtioConnection', () => {
  it('asks srf for one attempt at a time and reports the server it connected to', async () => {
    const { fake, conn, events } = setup();
    expect(conn.state).toBe<DrachtioConnectionState>('disconnected');
    conn.start();
    conn.start();
    expect(fake.connectCalls).toEqual([{ host: '127.0.0.1', port: 9022, secret: 'cymru', reconnect: { maxAttempts: 1 } }]);
    expect(conn.state).toBe('connecting');
    const ready = conn.whenConnected(1000);
    fake.authenticate();
    await expect(ready).resolves.toEqual({
      hostports: [
        { protocol: 'udp', address: '10.0.0.5', port: 5060 },
        { protocol: 'tcp', address: '10.0.0.5', port: 5060 },
      ],
      localHostports: [{ protocol: 'udp', address: '192.168.1.5', port: 5060 }],
      version: 'v0.9.4',
    });
    expect(conn.state).toBe('connected');
    expect(conn.serverInfo?.version).toBe('v0.9.4');
    expect(conn.srf).toBe(fake);
    expect(events).toEqual(['connecting#1', 'connected']);
  });

  it('retries refused attempts with growing delays and resets them after a success', () => {
    const { fake, conn, events } = setup();
    conn.start();
    fake.refuse();
    expect(conn.state).toBe('disconnected');
    expect(events.at(-1)).toBe('disconnected:connect ECONNREFUSED 127.0.0.1:9022');
    vi.advanceTimersByTime(99);
    expect(fake.connectCalls).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(fake.connectCalls).toHaveLength(2);
    fake.refuse();
    vi.advanceTimersByTime(199);
    expect(fake.connectCalls).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(fake.connectCalls).toHaveLength(3);
    fake.authenticate();
    expect(events.slice(-2)).toEqual(['connecting#3', 'connected']);

    fake.close();
    expect(events.at(-1)).toBe('disconnected:connection to drachtio-server lost');
    vi.advanceTimersByTime(100);
    expect(fake.connectCalls).toHaveLength(4);
    expect(events.at(-1)).toBe('connecting#1');
  });

  it('reports a rejected secret as an auth error, drops the socket and keeps retrying', () => {
    const { fake, conn, events } = setup();
    const errors: DrachtioConnectionError[] = [];
    conn.on('error', (e) => errors.push(e));
    conn.start();
    fake.rejectSecret();
    expect(errors[0]).toBeInstanceOf(DrachtioConnectionError);
    expect(errors[0]?.metricLabel).toBe('drachtio_auth');
    expect(errors[0]?.message).toMatch(/rejected our secret/);
    expect(errors[0]?.message).not.toContain('cymru');
    expect(fake.disconnectCalls).toBe(1);
    expect(conn.state).toBe('disconnected');
    expect(events).toContain('disconnected:drachtio-server at 127.0.0.1:9022 rejected our secret');
    vi.advanceTimersByTime(100);
    expect(fake.connectCalls).toHaveLength(2);
  });

  it('close() during the retry wait cancels the retry and leaves no timer behind', async () => {
    const { fake, conn } = setup();
    conn.start();
    const waiting = conn.whenConnected(60_000);
    fake.refuse();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await conn.close();
    await expect(waiting).rejects.toThrow(/closed before it connected/);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(fake.connectCalls).toHaveLength(1);
    expect(conn.state).toBe('disconnected');
    await expect(conn.whenConnected(10)).rejects.toThrow(/closed/);
  });

  it('close() while connected ends the socket and does not reconnect', async () => {
    const { fake, conn, events } = setup();
    conn.start();
    fake.authenticate();
    await conn.close();
    expect(fake.disconnectCalls).toBe(1);
    expect(conn.state).toBe('disconnected');
    expect(events.at(-1)).toBe('disconnected:closed');
    expect(vi.getTimerCount()).toBe(0);
    expect(fake.connectCalls).toHaveLength(1);
    await conn.close();
    expect(fake.disconnectCalls).toBe(1);
  });

  it('close() during the TCP connect drops the socket as soon as srf has one', async () => {
    const { fake, conn, events } = setup();
    conn.start();
    const closing = conn.close();
    expect(fake.disconnectCalls).toBe(1); // attempted, and srf refused: no socket yet
    fake.authenticate();
    await closing;
    expect(fake.disconnectCalls).toBe(2);
    expect(events).not.toContain('connected');
    expect(conn.state).toBe('disconnected');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() gives up waiting for a socket that never closes after closeTimeoutMs', async () => {
    const { fake, conn } = setup({ closeTimeoutMs: 500 });
    fake.closeOnDisconnect = false;
    conn.start();
    fake.authenticate();
    let done = false;
    const closing = conn.close().then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(conn.state).toBe('disconnected');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('whenConnected() times out with the last problem seen', async () => {
    const { fake, conn } = setup();
    conn.start();
    const waiting = conn.whenConnected(250);
    fake.refuse();
    const check = expect(waiting).rejects.toThrow(/after 250 ms \(connect ECONNREFUSED/);
    await vi.advanceTimersByTimeAsync(250);
    await check;
    expect(fake.connectCalls).toHaveLength(2); // the retry at 100 ms is still in flight
    fake.refuse();
    await conn.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps its state machine going when a listener throws', () => {
    const { fake, conn } = setup();
    conn.on('connected', () => {
      throw new Error('listener bug');
    });
    conn.start();
    fake.authenticate();
    expect(conn.state).toBe('connected');
    fake.close();
    expect(conn.state).toBe('disconnected');
    vi.advanceTimersByTime(100);
    expect(fake.connectCalls).toHaveLength(2);
  });
});
