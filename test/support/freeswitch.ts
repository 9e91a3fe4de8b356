/**
 * A real FreeSWITCH for tests, when FREESWITCH_BIN points at one (1.10.x with mod_sofia,
 * mod_event_socket, mod_dptools, mod_sndfile), started from the repository's freeswitch/conf
 * exactly as an operator starts it: a copy of the files, and the addresses, ports and password
 * given as the environment variables vars.xml reads, here free loopback ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpPort, stopChild } from './drachtio-server.js';

export const FREESWITCH_BIN = process.env['FREESWITCH_BIN'] ?? '';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROMPTS = join(ROOT, 'prompts');
/** The configuration operators run (freeswitch/conf): the tests start FreeSWITCH from it, unchanged. */
export const CONF = join(ROOT, 'freeswitch', 'conf');

export function freeswitchAvailable(): boolean {
  return FREESWITCH_BIN !== '' && existsSync(FREESWITCH_BIN);
}

/**
 * The settings an operator gives the repository's FreeSWITCH configuration (freeswitch/conf/vars.xml
 * reads each from the environment): everything on loopback, on the ports picked for this run.
 */
function operatorEnv(p: { sipPort: number; eslPort: number; secret: string; rtpMin: number; rtpMax: number }): Record<string, string> {
  return {
    FREESWITCH_SIP_IP: '127.0.0.1',
    FREESWITCH_SIP_PORT: String(p.sipPort),
    FREESWITCH_SIP_ALLOW: '127.0.0.0/8',
    FREESWITCH_RTP_IP: '127.0.0.1',
    FREESWITCH_RTP_MIN: String(p.rtpMin),
    FREESWITCH_RTP_MAX: String(p.rtpMax),
    FREESWITCH_ESL_IP: '127.0.0.1',
    FREESWITCH_PORT: String(p.eslPort),
    FREESWITCH_SECRET: p.secret,
    FREESWITCH_ESL_ALLOW: '127.0.0.0/8',
    FREESWITCH_MAX_SESSIONS: '200',
  };
}

/** The environment FreeSWITCH starts with: ours, and none of the caller's FREESWITCH_* settings. */
function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FREESWITCH_')));
  return { ...inherited, ...settings };
}

export class FreeswitchServer {
  private child: ChildProcess | undefined;
  #env: NodeJS.ProcessEnv = {};

  private constructor(
    readonly dir: string,
    readonly eslPort: number,
    readonly sipPort: number,
    readonly secret: string,
    /** Where FreeSWITCH finds the gateway's prompts (the repository's prompts/). */
    readonly promptDir: string,
  ) {}

  /** `settings`: more of the environment variables vars.xml reads, over the loopback defaults above. */
  static async start(settings: Record<string, string> = {}): Promise<FreeswitchServer> {
    const dir = await mkdtemp(join(tmpdir(), 'freeswitch-'));
    const eslPort = await freeTcpPort();
    const sipPort = await freeUdpPort();
    // A small RTP range of its own, away from the ports the OS hands out to the tests.
    const rtpMin = 30000 + 2 * Math.floor(Math.random() * 10000);
    const fs = new FreeswitchServer(dir, eslPort, sipPort, 'fs-test-secret', PROMPTS);
    for (const sub of ['log', 'db', 'run', 'temp']) await mkdir(join(dir, sub), { recursive: true });
    // Copied as an operator installs it (to /etc/freeswitch, say), so nothing FreeSWITCH or a test
    // does can touch the repository's files; the settings come from the environment.
    await cp(CONF, join(dir, 'conf'), { recursive: true });
    fs.#env = childEnv({ ...operatorEnv({ sipPort, eslPort, secret: fs.secret, rtpMin, rtpMax: rtpMin + 199 }), ...settings });
    fs.#spawn();
    return fs;
  }

  #spawn(): void {
    const d = (s: string): string => join(this.dir, s);
    this.child = spawn(
      FREESWITCH_BIN,
      ['-nonat', '-nonatmap', '-nc', '-nf', '-conf', d('conf'), '-log', d('log'), '-db', d('db'), '-run', d('run'), '-temp', d('temp')],
      { stdio: 'ignore', env: this.#env },
    );
  }

  /** The end of FreeSWITCH's log file, for failure messages. */
  async tailAsync(chars = 3000): Promise<string> {
    return (await readFile(join(this.dir, 'log', 'freeswitch.log'), 'utf8').catch(() => '')).slice(-chars);
  }

  /** What the log said last time it was read (sync, for assertion messages). */
  tail(_chars = 3000): string {
    return `(see ${join(this.dir, 'log', 'freeswitch.log')})`;
  }

  /** Runs one API command over the event socket (e.g. `show channels count`) and returns its text. */
  api(command: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: this.eslPort });
      let buf = Buffer.alloc(0);
      let stage: 'auth' | 'reply' | 'api' = 'auth';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer to '${command}' within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        for (;;) {
          const end = buf.indexOf('\n\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString();
          const length = Number(/^Content-Length: (\d+)$/m.exec(head)?.[1] ?? '0');
          if (buf.length < end + 2 + length) return;
          const body = buf.subarray(end + 2, end + 2 + length).toString();
          buf = buf.subarray(end + 2 + length);
          if (stage === 'auth' && head.includes('auth/request')) {
            stage = 'reply';
            socket.write(`auth ${this.secret}\n\n`);
          } else if (stage === 'reply' && head.includes('command/reply')) {
            stage = 'api';
            socket.write(`api ${command}\n\n`);
          } else if (stage === 'api' && head.includes('api/response')) {
            clearTimeout(timer);
            socket.end('exit\n\n');
            resolve(body);
          }
        }
      });
    });
  }

  /** Kills FreeSWITCH at once, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts it again on the same ports. */
  async restart(): Promise<void> {
    await this.kill();
    this.#spawn();
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 5000);
    if (process.env['KEEP_FS_LOG'] === undefined) await rm(this.dir, { recursive: true, force: true });
  }
}
