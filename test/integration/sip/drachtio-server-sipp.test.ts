import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { DrachtioConnection } from '../../../src/sip/drachtio-connection.js';
import { SipApp } from '../../../src/sip/sip-app.js';
import type { InboundSipLeg } from '../../../src/sip/sip-leg.js';
import { Backoff } from '../../../src/util/backoff.js';
import { sipConfig } from './support/sip-app-harness.js';

/**
 * The SIP app against a real drachtio-server, called by a real phone (sipp). Runs when
 * DRACHTIO_BIN points at a drachtio binary (v0.9.x); everything binds 127.0.0.1 on free ports.
 */
const DRACHTIO_BIN = process.env.DRACHTIO_BIN;
const SIPP = spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
const available = DRACHTIO_BIN !== undefined && DRACHTIO_BIN !== '' && existsSync(DRACHTIO_BIN) && SIPP;
if (!available) {
  console.log(SIPP ? 'skipped: drachtio-server not available (set DRACHTIO_BIN)' : 'skipped: sipp not available');
}

const SCENARIO = fileURLToPath(new URL('./fixtures/sipp-uac-call.xml', import.meta.url));
const SECRET = 'sipp-test-secret';
const GATEWAY_SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(!available)('SipApp on a real drachtio-server, called by sipp', () => {
  let dir: string;
  let drachtio: ChildProcess | undefined;
  let drachtioLog = '';
  let connection: DrachtioConnection;
  let app: SipApp;
  let sipPort: number;
  const legs: InboundSipLeg[] = [];
  const hungUp: string[] = [];
  const responses: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drachtio-'));
    const adminPort = await freeTcpPort();
    sipPort = await freeUdpPort();
    const conf = join(dir, 'drachtio.conf.xml');
    await writeFile(
      conf,
      `<drachtio>
  <admin port="${adminPort}" secret="${SECRET}">127.0.0.1</admin>
  <sip><contacts><contact>sip:127.0.0.1:${sipPort};transport=udp</contact></contacts></sip>
  <logging><console/><loglevel>info</loglevel><sofia-loglevel>3</sofia-loglevel></logging>
</drachtio>
`,
    );
    drachtio = spawn(DRACHTIO_BIN ?? '', ['-f', conf, '--address', '127.0.0.1', '--port', String(adminPort), '--secret', SECRET], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    drachtio.stdout?.on('data', (d: Buffer) => (drachtioLog += d.toString()));
    drachtio.stderr?.on('data', (d: Buffer) => (drachtioLog += d.toString()));

    connection = new DrachtioConnection({ host: '127.0.0.1', port: adminPort, secret: SECRET, logger: silentLogger(), backoff: new Backoff(100, 500) });
    app = new SipApp({
      connection,
      config: sipConfig(),
      layout: { domain: 'meet.jitsi', mucDomain: 'muc.meet.jitsi' },
      admission: () => ({ refused: false }),
      onInboundCall: (leg) => {
        legs.push(leg);
        leg.on('hungUp', (reason) => hungUp.push(reason));
        void leg.answer(GATEWAY_SDP).catch(() => undefined);
      },
      metrics: { response: (s) => responses.push(s) },
      logger: silentLogger(),
    });
    app.start();
    connection.start();
    try {
      await connection.whenConnected(15_000);
    } catch (err) {
      throw new Error(`drachtio-server did not come up: ${(err as Error).message}\n${drachtioLog.slice(-2000)}`);
    }
  }, 30_000);

  afterAll(async () => {
    await app?.stop();
    await connection?.close();
    if (drachtio && drachtio.exitCode === null) {
      const exited = new Promise((resolve) => drachtio?.once('exit', resolve));
      drachtio.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (drachtio.exitCode === null) drachtio.kill('SIGKILL');
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('completes INVITE/180/200/ACK/BYE with sipp and reports the caller hanging up', async () => {
    const sippPort = await freeUdpPort();
    const mediaPort = await freeUdpPort();
    const result = await run(
      'sipp',
      [`127.0.0.1:${sipPort}`, '-sf', SCENARIO, '-i', '127.0.0.1', '-p', String(sippPort), '-mp', String(mediaPort), '-m', '1', '-l', '1', '-timeout', '15s', '-timeout_error', '-nostdin'],
      20_000,
    );
    expect(result.code, `${result.output.slice(-3000)}\n--- drachtio ---\n${drachtioLog.slice(-3000)}`).toBe(0);
    expect(legs).toHaveLength(1);
    const leg = legs[0];
    await expect.poll(() => leg?.state).toBe('ended');
    expect(hungUp).toEqual(['sipp done']);
    expect(responses).toEqual([200]);
  }, 30_000);
});
