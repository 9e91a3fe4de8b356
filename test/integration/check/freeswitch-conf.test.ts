/**
 * freeswitch/conf run by a real FreeSWITCH (FREESWITCH_BIN), as an operator runs it: the settings
 * as environment variables. The self-check's freeswitch line against it, and the two ACLs the
 * configuration puts in front of the event socket and the SIP profile.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { checkFreeswitch } from '../../../src/check/freeswitch-check.js';
import type { FreeswitchConfig } from '../../../src/config/types.js';
import { probeEventSocket, type EslProbeResult } from '../../../src/media/freeswitch/esl-probe.js';
import { freeswitchAvailable, FreeswitchServer } from '../../support/freeswitch.js';
import { until } from '../../support/until.js';

const available = freeswitchAvailable();
if (!available) console.log('skipped: freeswitch/conf with a real FreeSWITCH: FreeSWITCH not available (set FREESWITCH_BIN)');

/** FreeSWITCH promises no start-up time; on a busy 2-core machine it has taken seconds. */
const START_MS = 30_000;

let fs: FreeswitchServer | undefined;
afterEach(async () => {
  await fs?.stop();
  fs = undefined;
});

function settings(server: FreeswitchServer, secret: string): FreeswitchConfig {
  return { host: '127.0.0.1', port: server.eslPort, secret, listenAddress: '127.0.0.1', listenPort: 0, advertisedAddress: undefined, profile: 'drachtio_mrf', promptDir: server.promptDir };
}

function isRefused(r: EslProbeResult): boolean {
  return !r.ok && r.kind === 'auth';
}

/** The final status of an INVITE sent from 127.0.0.1 to the profile. */
function inviteStatus(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no final answer to the INVITE'));
    }, 5000);
    socket.on('message', (msg) => {
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(msg.toString())?.[1] ?? '0');
      if (status < 200) return;
      clearTimeout(timer);
      socket.close();
      resolve(status);
    });
    socket.bind(0, '127.0.0.1', () => {
      const me = socket.address().port;
      const invite = [
        `INVITE sip:probe@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${me};branch=z9hG4bK-acl-${me};rport`,
        'From: <sip:probe@127.0.0.1>;tag=acl',
        'To: <sip:probe@127.0.0.1>',
        `Call-ID: acl-${me}@127.0.0.1`,
        'CSeq: 1 INVITE',
        `Contact: <sip:probe@127.0.0.1:${me}>`,
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(invite, port, '127.0.0.1');
    });
  });
}

describe.skipIf(!available)('freeswitch/conf with a real FreeSWITCH', () => {
  it('runs the drachtio_mrf profile and takes the password it was given; the self-check says so, and names a wrong one', async () => {
    const server = (fs = await FreeswitchServer.start());
    await until(async () => (await probeEventSocket('127.0.0.1', server.eslPort, server.secret, 'drachtio_mrf', 2000)).ok, START_MS, 'FreeSWITCH ready');
    expect(await checkFreeswitch('freeswitch', settings(server, server.secret), 3000)).toMatchObject({ status: 'ok' });
    expect(await checkFreeswitch('freeswitch', settings(server, 'ClueCon'), 3000)).toMatchObject({ status: 'problem', fix: expect.stringContaining('FREESWITCH_SECRET') });
  }, START_MS + 10_000);

  it('refuses event socket clients and SIP senders outside FREESWITCH_ESL_ALLOW and FREESWITCH_SIP_ALLOW', async () => {
    const server = (fs = await FreeswitchServer.start({ FREESWITCH_ESL_ALLOW: '192.0.2.0/24', FREESWITCH_SIP_ALLOW: '192.0.2.0/24' }));
    await until(async () => isRefused(await probeEventSocket('127.0.0.1', server.eslPort, server.secret, 'drachtio_mrf', 2000)), START_MS, 'FreeSWITCH answering');
    const r = await checkFreeswitch('freeswitch', settings(server, server.secret), 3000);
    expect(r).toMatchObject({ status: 'problem', detail: expect.stringContaining('ACL'), fix: expect.stringContaining('FREESWITCH_ESL_ALLOW') });
    // The profile starts a little after the event socket.
    let status = 0;
    await until(async () => (status = await inviteStatus(server.sipPort).catch(() => 0)) !== 0, START_MS, 'an answer from the SIP profile');
    expect(status).toBe(403);
  }, 2 * START_MS + 10_000);
});
