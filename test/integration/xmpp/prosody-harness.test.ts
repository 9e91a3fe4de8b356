import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prosodyAvailable, startProsody, type ProsodyHarness } from '../../support/prosody.js';
import { closeTestClients, connectTestClient, joinMuc, waitForStanza, type Client } from '../../support/xmpp-client.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe.skipIf(!available)('test Prosody harness', () => {
  let prosody: ProsodyHarness;
  let startMs = 0;

  beforeAll(async () => {
    const t0 = performance.now();
    prosody = await startProsody({ users: [{ user: 'jigasi', host: 'auth.meet.test', password: 'secret' }] });
    startMs = performance.now() - t0;
  });

  afterAll(async () => {
    await prosody?.dispose();
  });

  it('starts and listens on loopback at its port', async () => {
    // How fast is for the log (a busy machine may take longer); that it listens is the test.
    console.log(`test Prosody started in ${startMs.toFixed(0)} ms`);
    expect(prosody.service).toBe(`xmpp://127.0.0.1:${prosody.port}`);
    expect(await portAccepts(prosody.port)).toBe(true);
  });

  it('logs an account in with PLAIN on the auth domain', async () => {
    const c = await connectTestClient(prosody, { username: 'jigasi', password: 'secret', resource: 'r1' });
    try {
      expect(c.jid?.toString()).toBe('jigasi@auth.meet.test/r1');
      // PLAIN, not SCRAM: SCRAM's hashing would cost seconds per login.
      expect(prosody.logTail(200)).toContain("mechanism='PLAIN'");
    } finally {
      await closeTestClients(c);
    }
  });

  it('rejects a wrong password', async () => {
    await expect(connectTestClient(prosody, { username: 'jigasi', password: 'wrong' })).rejects.toThrow(/not-authorized/);
  });

  it('accepts an account created while the server runs', async () => {
    await prosody.createUser('late', prosody.authDomain, 'pw2');
    const c = await connectTestClient(prosody, { username: 'late', password: 'pw2' });
    try {
      expect(c.jid?.bare().toString()).toBe('late@auth.meet.test');
    } finally {
      await closeTestClients(c);
    }
  });

  it('logs an anonymous client in on meet.test', async () => {
    const c = await connectTestClient(prosody);
    try {
      expect(c.jid?.domain).toBe('meet.test');
      expect(c.jid?.local).toMatch(/.+/);
    } finally {
      await closeTestClients(c);
    }
  });

  it('lets two clients join a room on muc.meet.test and see each other with real JIDs', async () => {
    let a: Client | undefined;
    let b: Client | undefined;
    try {
      a = await connectTestClient(prosody);
      b = await connectTestClient(prosody, { username: 'jigasi', password: 'secret' });
      const room = `room1@${prosody.mucDomain}`;
      await joinMuc(a, room, 'alice');
      const aSeesB = waitForStanza(a, (s) => s.is('presence') && s.attrs['from'] === `${room}/bob`);
      const bSelf = await joinMuc(b, room, 'bob');
      expect(bSelf.attrs['from']).toBe(`${room}/bob`);
      const seen = await aSeesB;
      const item = seen.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChild('item');
      // muc_room_default_public_jids: occupants see real JIDs, as in Jitsi deployments.
      expect(item?.attrs['jid']).toBe(b.jid?.toString());
    } finally {
      await closeTestClients(a, b);
    }
  });

  it('restart() keeps the port and serves logins again', async () => {
    const port = prosody.port;
    await prosody.restart();
    expect(prosody.port).toBe(port);
    const c = await connectTestClient(prosody, { username: 'jigasi', password: 'secret' });
    await closeTestClients(c);
  });

  it('stop() closes the port and start() opens the same one', async () => {
    const port = prosody.port;
    await prosody.stop();
    expect(await portAccepts(port)).toBe(false);
    const t0 = performance.now();
    await prosody.start();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await portAccepts(port)).toBe(true);
    expect(prosody.logTail(5).length).toBeGreaterThan(0);
  });
});
