/**
 * The gateway with real SIP parts: a real drachtio-server (DRACHTIO_BIN), called by sipp, and in
 * MEDIA_MODE=freeswitch a real FreeSWITCH (FREESWITCH_BIN). Jicofo and the bridge are still the
 * fake focus and fake conference (they cannot be installed here); phones' audio is an RtpPhone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../../src/app/gateway.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { DrachtioServer, freeUdpPort, type DrachtioTls } from '../support/drachtio-server.js';
import type { FakeBridgeEndpoint, FakeConference } from '../support/fake-bridge-audio.js';
import { FakeFocus } from '../support/fake-focus.js';
import { startConferenceProsody } from '../support/fake-focus/session-fixture.js';
import type { FreeswitchServer } from '../support/freeswitch.js';
import type { ProsodyHarness } from '../support/prosody.js';
import type { RtpPhone } from '../support/rtp-phone.js';
import { answeredMedia, calleeScenario, callScenario, offeredMedia, referNotifies, type CallScenarioOptions } from '../support/sipp-scenario.js';
import { until } from '../support/until.js';
import { gatewayTestEnv } from './gateway-env.js';
import { offerSession } from './offer-session.js';

export class RealStackHarness {
  #rooms = 0;
  #sid = 0;
  readonly #dir: string;

  private constructor(
    readonly prosody: ProsodyHarness,
    readonly focus: FakeFocus,
    readonly drachtio: DrachtioServer,
    readonly freeswitch: FreeswitchServer | undefined,
    readonly gateway: Gateway,
    dir: string,
  ) {
    this.#dir = dir;
  }

  /** `drachtioTls`: drachtio-server also takes SIP over TLS (its `tlsPort`) with this key and certificate. */
  static async start(opts: { freeswitch?: FreeswitchServer; env?: Record<string, string>; drachtioTls?: DrachtioTls } = {}): Promise<RealStackHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'real-stack-'));
    const prosody = await startConferenceProsody();
    await prosody.createUser('jigasi', prosody.authDomain, 'jigasi-pw');
    const focus = await FakeFocus.start(prosody);
    const drachtio = await DrachtioServer.start('real-stack-secret', undefined, opts.drachtioTls === undefined ? {} : { tls: opts.drachtioTls });
    const fs = opts.freeswitch;
    const config = loadConfig({
      env: {
        ...gatewayTestEnv(prosody, focus, { port: drachtio.adminPort, secret: drachtio.secret }),
        ...(fs === undefined
          ? {}
          : {
              MEDIA_MODE: 'freeswitch',
              FREESWITCH_PORT: String(fs.eslPort),
              FREESWITCH_SECRET: fs.secret,
              FREESWITCH_LISTEN_PORT: '0',
              FREESWITCH_PROMPT_DIR: fs.promptDir,
            }),
        ...opts.env,
      },
    });
    config.media.portMin = 0;
    config.media.portMax = 0;
    const logger = process.env['E2E_LOG'] ? createLogger({ level: process.env['E2E_LOG'] }) : silentLogger();
    const gateway = new Gateway(config, logger, () => void gateway.drain());
    await gateway.start();
    const h = new RealStackHarness(prosody, focus, drachtio, fs, gateway, dir);
    try {
      await gateway.drachtio.whenConnected(15_000);
      if (gateway.freeswitch !== undefined) await until(() => gateway.freeswitch?.state === 'connected', 15_000, 'gateway connected to FreeSWITCH');
    } catch (err) {
      const detail = `${(err as Error).message}\n--- drachtio ---\n${drachtio.tail(1500)}${fs ? `\n--- freeswitch ---\n${fs.tail(1500)}` : ''}`;
      await h.close();
      throw new Error(detail);
    }
    return h;
  }

  async newRoom(): Promise<string> {
    const room = `real${++this.#rooms}-${process.pid}@${this.prosody.mucDomain}`;
    await this.focus.hostRoom(room);
    return room;
  }

  /** Starts sipp calling the gateway with `phone`'s port in its SDP; returns at once. */
  async call(phone: RtpPhone, o: Omit<CallScenarioOptions, 'sdp'>): Promise<SippCall> {
    return sippCall(`127.0.0.1:${this.drachtio.sipPort}`, this.#dir, `${++this.#sid}`, phone, o);
  }

  /** Plays Jicofo for the gateway occupant named `name` in `room`, with `conf`'s bridge. */
  async offerConference(room: string, name: string, conf: FakeConference, endpoint: FakeBridgeEndpoint): Promise<string> {
    const p = await this.focus.waitFor(
      (s) => s.is('presence') && s.attrs['type'] === undefined && String(s.attrs['from']).startsWith(`${room}/`) && s.getChildText('nick', 'http://jabber.org/protocol/nick') === name,
      15_000,
    );
    const occupant = String(p.attrs['from']);
    await offerSession(this.focus, occupant, conf, endpoint, `real-sid-${++this.#sid}`);
    return occupant;
  }

  /** drachtio-server's and FreeSWITCH's recent output, for failure messages. */
  diagnostics(): string {
    return `--- drachtio ---\n${this.drachtio.tail(2000)}${this.freeswitch ? `\n--- freeswitch ---\n${this.freeswitch.tail(3000)}` : ''}`;
  }

  async close(): Promise<void> {
    await this.gateway.stopNow().catch(() => undefined);
    await this.focus.close().catch(() => undefined);
    await this.drachtio.stop();
    await this.prosody.dispose();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** Starts sipp calling `target` (host:port) with `phone`'s port in its SDP, files in `dir`; returns at once. */
export async function sippCall(target: string, dir: string, id: string, phone: RtpPhone, o: Omit<CallScenarioOptions, 'sdp'>): Promise<SippCall> {
  const scenario = join(dir, `call-${id}.xml`);
  const logFile = join(dir, `call-${id}.log`);
  await writeFile(scenario, callScenario({ ...o, sdp: phone.offer() }));
  const sippPort = await freeUdpPort();
  const sippMedia = await freeMediaPort();
  const child = spawn(
    'sipp',
    [
      target,
      ...['-sf', scenario, '-i', '127.0.0.1', '-p', String(sippPort), '-mp', String(sippMedia)],
      // -aa: answer INFO/UPDATE/NOTIFY 200 as phones do (the gateway sends jigasi's JSON INFOs).
      ...['-m', '1', '-l', '1', '-aa', '-timeout', '90s', '-timeout_error', '-nostdin', '-trace_logs', '-log_file', logFile, '-trace_msg', '-message_file', `${logFile}.msg`],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new SippCall(child, logFile, phone, o.room ?? '', o.displayName);
}

/**
 * A port for sipp's -mp: sipp binds it and the port 2 above it (video) even for a scenario
 * without media, and exits if either is taken; with many sockets open (20 calls) the second one
 * often was.
 */
async function freeMediaPort(): Promise<number> {
  for (;;) {
    const port = await freeUdpPort();
    if (port + 2 <= 65_535 && (await udpPortFree(port + 2))) return port;
  }
}

function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** One sipp call; the RtpPhone carries its audio. */
export class SippCall {
  output = '';
  readonly #exit: Promise<number | null>;

  constructor(
    private readonly child: ChildProcess,
    private readonly logFile: string,
    readonly phone: RtpPhone,
    readonly room: string,
    readonly name: string,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.#exit = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  /** Waits for the 200 and points the phone's RTP at the answer's address. */
  async answered(timeoutMs = 20_000): Promise<{ address: string; port: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const media = await answeredMedia(this.logFile);
      if (media !== undefined) {
        this.phone.sendTo(media.address, media.port);
        return media;
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        // sipp may have logged the answer just before it exited.
        const late = await answeredMedia(this.logFile);
        if (late !== undefined) {
          this.phone.sendTo(late.address, late.port);
          return late;
        }
        const messages = await readFile(`${this.logFile}.msg`, 'utf8').catch(() => '(no message trace)');
        const why = this.child.exitCode !== null ? `sipp exited with ${this.child.exitCode}` : `none within ${timeoutMs} ms`;
        throw new Error(`no 200 OK from the gateway (${why}); sipp said:\n${this.output.slice(-1500)}\nSIP messages:\n${messages.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The sipfrag statuses of the NOTIFYs about the phone's transfer so far (see CallScenarioOptions.refer). */
  transferNotifies(): Promise<number[]> {
    return referNotifies(this.logFile);
  }

  /** The tail of the SIP messages sipp sent and received, for failure messages. */
  async trace(chars = 3000): Promise<string> {
    return (await readFile(`${this.logFile}.msg`, 'utf8').catch(() => '(no message trace)')).slice(-chars);
  }

  /** sipp's exit code (0: the scenario completed). */
  done(timeoutMs = 90_000): Promise<number | null> {
    return Promise.race([this.#exit, new Promise<number | null>((_, reject) => setTimeout(() => reject(new Error(`sipp still running: ${this.output.slice(-1000)}`)), timeoutMs).unref())]);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** sipp as a registrar and callee for dial-out; the RtpPhone carries the callee's audio. */
export class SippCallee {
  output = '';
  readonly #exit: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
    readonly phone: RtpPhone,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.#exit = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  /** Starts listening before the gateway starts, so its first REGISTER is answered. */
  /** `busy`: the INVITE gets 486 Busy Here instead. */
  static async start(phone: RtpPhone, opts: { busy?: boolean } = {}): Promise<SippCallee> {
    const dir = await mkdtemp(join(tmpdir(), 'sipp-callee-'));
    const scenario = join(dir, 'callee.xml');
    await writeFile(scenario, calleeScenario({ sdp: phone.offer(), busy: opts.busy === true }));
    const port = await freeUdpPort();
    const media = await freeUdpPort();
    const child = spawn(
      'sipp',
      [...['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mp', String(media)], ...['-timeout', '120s', '-nostdin', '-trace_logs', '-log_file', join(dir, 'callee.log')]],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new SippCallee(child, dir, port, phone);
  }

  /** Waits for the gateway's INVITE and points the callee's RTP at its offer. */
  async invited(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const media = await offeredMedia(join(this.dir, 'callee.log'));
      if (media !== undefined) {
        this.phone.sendTo(media.address, media.port);
        return;
      }
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`no INVITE from the gateway; sipp said:\n${this.output.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits until sipp got the gateway's BYE for the call. */
  async byeReceived(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await readFile(join(this.dir, 'callee.log'), 'utf8').catch(() => '')).includes('GOT BYE')) {
      if (Date.now() > deadline) throw new Error(`no BYE reached the callee; sipp said:\n${this.output.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ends sipp (it serves REGISTERs until told to stop) and removes its files. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await Promise.race([this.#exit, new Promise((r) => setTimeout(r, 2000))]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
