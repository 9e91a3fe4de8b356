import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeEventSocket } from '../../../../src/media/freeswitch/esl-probe.js';
import { fakeEventSocket as startFakeEventSocket, type FakeEslBehaviour, type FakeEventSocket } from '../../../support/fake-event-socket.js';
import { until } from '../../../support/until.js';

const fakes: FakeEventSocket[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fakeEventSocket(secret: string, behaviour: FakeEslBehaviour): Promise<FakeEventSocket> {
  const fake = await startFakeEventSocket(secret, behaviour);
  fakes.push(fake);
  return fake;
}

/** A port on which nothing listens any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((r) => server.close(() => r()));
  return address.port;
}

describe('probeEventSocket', () => {
  it('succeeds with the right password and says goodbye', async () => {
    const esl = await fakeEventSocket('ClueCon', 'auth');
    expect(await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio_mrf', 2000)).toEqual({ ok: true });
    await until(() => esl.received.length === 3, 2000, 'exit');
    expect(esl.received).toEqual(['auth ClueCon', 'api sofia status', 'exit']);
  });

  it('reports a wrong password as an auth failure', async () => {
    const esl = await fakeEventSocket('ClueCon', 'auth');
    const result = await probeEventSocket('127.0.0.1', esl.port, 'wrong', 'drachtio_mrf', 2000);
    expect(result).toMatchObject({ ok: false, kind: 'auth' });
    expect(result.ok ? '' : result.message).toContain('-ERR invalid');
  });

  it('reports a closed port as unreachable', async () => {
    const port = await closedPort();
    expect(await probeEventSocket('127.0.0.1', port, 'ClueCon', 'drachtio_mrf', 2000)).toMatchObject({ ok: false, kind: 'unreachable' });
  });

  it('gives up on a server that never speaks', async () => {
    const esl = await fakeEventSocket('ClueCon', 'silent');
    const started = Date.now();
    const result = await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio_mrf', 100);
    expect(result).toMatchObject({ ok: false, kind: 'unreachable' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('says not ready while the SIP profile drachtio-fsmrf needs is not running', async () => {
    const esl = await fakeEventSocket('ClueCon', 'no-profile');
    const result = await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio_mrf', 2000);
    expect(result).toMatchObject({ ok: false, kind: 'not-ready' });
    expect(result.ok ? '' : result.message).toContain("'drachtio_mrf'");
  });

  it('does not take another profile for the one asked for', async () => {
    const esl = await fakeEventSocket('ClueCon', 'auth');
    expect(await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio', 2000)).toMatchObject({ ok: false, kind: 'not-ready' });
  });

  it('reports an ACL rejection as an auth failure', async () => {
    const esl = await fakeEventSocket('ClueCon', 'rude');
    const result = await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio_mrf', 2000);
    expect(result).toMatchObject({ ok: false, kind: 'auth' });
    expect(result.ok ? '' : result.message).toContain('ACL');
  });
});
