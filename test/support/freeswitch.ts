/**
 * A real FreeSWITCH for tests, when FREESWITCH_BIN points at one (1.10.x with mod_sofia,
 * mod_event_socket, mod_dptools, mod_sndfile): its own minimal configuration in a temp dir, set up
 * as a drachtio-fsmrf media server (the `drachtio_mrf` profile and the outbound-socket dialplan
 * the drachtio/drachtio-freeswitch-mrf image provides), on free loopback ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeTcpPort, freeUdpPort, stopChild } from './drachtio-server.js';

export const FREESWITCH_BIN = process.env['FREESWITCH_BIN'] ?? '';
const PROMPTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prompts');

export function freeswitchAvailable(): boolean {
  return FREESWITCH_BIN !== '' && existsSync(FREESWITCH_BIN);
}

/** Modules loaded when FreeSWITCH has them; the first four are required. */
const MODULES = ['mod_event_socket', 'mod_sofia', 'mod_dptools', 'mod_dialplan_xml', 'mod_commands', 'mod_logfile', 'mod_sndfile', 'mod_native_file', 'mod_tone_stream', 'mod_spandsp', 'mod_opus'];

function configXml(p: { sipPort: number; eslPort: number; secret: string; rtpMin: number; rtpMax: number }): string {
  const modules = MODULES.map((m) => `<load module="${m}"/>`).join('\n        ');
  return `<?xml version="1.0"?>
<document type="freeswitch/xml">
  <section name="configuration">
    <configuration name="switch.conf">
      <settings>
        <param name="loglevel" value="info"/>
        <param name="max-sessions" value="200"/>
        <param name="sessions-per-second" value="100"/>
        <param name="rtp-start-port" value="${p.rtpMin}"/>
        <param name="rtp-end-port" value="${p.rtpMax}"/>
        <param name="dump-cores" value="no"/>
      </settings>
    </configuration>
    <configuration name="modules.conf">
      <modules>
        ${modules}
      </modules>
    </configuration>
    <configuration name="logfile.conf">
      <profiles>
        <profile name="default">
          <mappings><map name="all" value="info,notice,warning,err,crit,alert"/></mappings>
        </profile>
      </profiles>
    </configuration>
    <configuration name="event_socket.conf">
      <settings>
        <param name="listen-ip" value="127.0.0.1"/>
        <param name="listen-port" value="${p.eslPort}"/>
        <param name="password" value="${p.secret}"/>
      </settings>
    </configuration>
    <configuration name="sofia.conf">
      <global_settings><param name="log-level" value="0"/></global_settings>
      <profiles>
        <profile name="drachtio_mrf">
          <settings>
            <param name="sip-ip" value="127.0.0.1"/>
            <param name="sip-port" value="${p.sipPort}"/>
            <param name="rtp-ip" value="127.0.0.1"/>
            <param name="ext-sip-ip" value="127.0.0.1"/>
            <param name="ext-rtp-ip" value="127.0.0.1"/>
            <param name="context" value="mrf"/>
            <param name="dialplan" value="XML"/>
            <param name="auth-calls" value="false"/>
            <param name="dtmf-type" value="rfc2833"/>
            <param name="inbound-codec-negotiation" value="generous"/>
            <param name="inbound-codec-prefs" value="PCMU,PCMA,G722,OPUS,L16@16000h,L16"/>
            <param name="outbound-codec-prefs" value="PCMU,PCMA,G722,OPUS"/>
            <param name="enable-3pcc" value="true"/>
            <param name="inbound-late-negotiation" value="true"/>
          </settings>
        </profile>
      </profiles>
    </configuration>
  </section>
  <section name="dialplan">
    <context name="mrf">
      <extension name="to-drachtio-fsmrf">
        <condition field="\${sip_h_X-esl-outbound}" expression="^.+:\\d+$">
          <action application="answer"/>
          <action application="socket" data="\${sip_h_X-esl-outbound} async full"/>
        </condition>
      </extension>
    </context>
  </section>
</document>
`;
}

export class FreeswitchServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    readonly eslPort: number,
    readonly sipPort: number,
    readonly secret: string,
    /** Where FreeSWITCH finds the gateway's prompts (the repository's prompts/). */
    readonly promptDir: string,
  ) {}

  static async start(): Promise<FreeswitchServer> {
    const dir = await mkdtemp(join(tmpdir(), 'freeswitch-'));
    const eslPort = await freeTcpPort();
    const sipPort = await freeUdpPort();
    // A small RTP range of its own, away from the ports the OS hands out to the tests.
    const rtpMin = 30000 + 2 * Math.floor(Math.random() * 10000);
    const fs = new FreeswitchServer(dir, eslPort, sipPort, 'fs-test-secret', PROMPTS);
    for (const sub of ['conf', 'log', 'db', 'run', 'temp']) await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, 'conf', 'freeswitch.xml'), configXml({ sipPort, eslPort, secret: fs.secret, rtpMin, rtpMax: rtpMin + 199 }));
    fs.#spawn();
    return fs;
  }

  #spawn(): void {
    const d = (s: string): string => join(this.dir, s);
    this.child = spawn(
      FREESWITCH_BIN,
      ['-nonat', '-nonatmap', '-nc', '-nf', '-conf', d('conf'), '-log', d('log'), '-db', d('db'), '-run', d('run'), '-temp', d('temp')],
      { stdio: 'ignore' },
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
