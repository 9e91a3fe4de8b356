/**
 * A real baresip (Debian's baresip-core, v1.0.x) as a softphone for tests: its own config dir in a
 * temp dir, SIP and RTP on 127.0.0.1, a sine tone as its microphone (ausine) and what it hears
 * recorded by the sndfile filter (one WAV per direction, written when the call ends). Commands go
 * through its stdin, as typed on its console.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, stopChild } from './drachtio-server.js';

const MODULE_DIR = process.env['BARESIP_MODULES'] ?? '/usr/lib/baresip/modules';
const NEEDED = ['menu', 'ausine', 'sndfile', 'g711', 'opus', 'stdio', 'account'];

export function baresipAvailable(): boolean {
  if (spawnSync('baresip', ['-h'], { stdio: 'ignore' }).error !== undefined) return false;
  return NEEDED.every((m) => existsSync(join(MODULE_DIR, `${m}.so`)));
}

export interface BaresipOptions {
  /** Shown in the From header (and so as the caller's name in the meeting). */
  displayName: string;
  /** Frequency of the tone baresip sends (ausine takes it as its device). */
  toneHz: number;
  /** Codec modules, in offer order. */
  codecs?: Array<'opus' | 'g711'>;
  /**
   * Media encryption of the account (its `mediaenc`): srtp-mand offers RTP/SAVP with SDES keys
   * and takes nothing else; srtp offers them on RTP/AVP (best effort). Needs the srtp module.
   */
  mediaenc?: 'srtp' | 'srtp-mand';
  /** CA file to trust for SIP over TLS (dial a `;transport=tls` URI). */
  tlsCaFile?: string;
}

/** baresip can do SDES-SRTP here (its srtp module is installed). */
export function baresipSrtpAvailable(): boolean {
  return existsSync(join(MODULE_DIR, 'srtp.so'));
}

export interface Recording {
  sampleRate: number;
  /** The first channel. */
  samples: Int16Array;
}

/** A port free for both UDP and TCP on 127.0.0.1 (baresip's sip_listen opens both). */
async function freeSipPort(): Promise<number> {
  for (;;) {
    const port = await freeUdpPort();
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((r) => server.close(() => r()));
      return port;
    }
  }
}

function configText(o: { sipPort: number; rtpMin: number; toneHz: number; codecs: string[]; recordDir: string; srtp: boolean; tlsCaFile: string | undefined }): string {
  return [
    'poll_method epoll',
    `sip_listen 127.0.0.1:${o.sipPort}`,
    'call_local_timeout 60',
    'call_max_calls 2',
    // ausine only produces 48 kHz stereo; baresip resamples for the codec.
    `audio_source ausine,${o.toneHz}`,
    'ausrc_srate 48000',
    'ausrc_channels 2',
    'audio_level no',
    `rtp_ports ${o.rtpMin}-${o.rtpMin + 99}`,
    'rtcp_mux no',
    'net_interface 127.0.0.1',
    `module_path ${MODULE_DIR}`,
    'module stdio.so',
    ...(o.tlsCaFile !== undefined ? [`sip_cafile ${o.tlsCaFile}`] : []),
    ...(o.srtp ? ['module srtp.so'] : []),
    ...o.codecs.map((c) => `module ${c}.so`),
    'module ausine.so',
    'module sndfile.so',
    'module_tmp account.so',
    'module_app menu.so',
    `snd_path ${o.recordDir}`,
    '',
  ].join('\n');
}

export class Baresip {
  output = '';
  readonly #exit: Promise<void>;

  private constructor(
    readonly dir: string,
    readonly sipPort: number,
    private readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-100_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#exit = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(o: BaresipOptions): Promise<Baresip> {
    const dir = await mkdtemp(join(tmpdir(), 'baresip-'));
    const recordDir = join(dir, 'rec');
    await mkdir(recordDir);
    const sipPort = await freeSipPort();
    // A range of its own below the OS's ephemeral ports (baresip retries inside it when one is taken).
    const rtpMin = 20000 + 2 * Math.floor(Math.random() * 4900);
    const codecs = o.codecs ?? ['opus', 'g711'];
    await writeFile(join(dir, 'config'), configText({ sipPort, rtpMin, toneHz: o.toneHz, codecs, recordDir, srtp: o.mediaenc !== undefined, tlsCaFile: o.tlsCaFile }));
    const mediaenc = o.mediaenc === undefined ? '' : `;mediaenc=${o.mediaenc}`;
    await writeFile(join(dir, 'accounts'), `"${o.displayName}" <sip:baresip@127.0.0.1>;regint=0${mediaenc}\n`);
    // stdin must be a pipe: the stdio module reads commands from it (and cannot poll /dev/null).
    const child = spawn('baresip', ['-f', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    const phone = new Baresip(dir, sipPort, child);
    try {
      await phone.waitFor(/baresip is ready/, 10_000, 'baresip ready');
    } catch (err) {
      await phone.stop();
      throw err;
    }
    return phone;
  }

  /** Types a console command (without the leading slash). */
  command(line: string): void {
    this.child.stdin?.write(`/${line}\n`);
  }

  dial(uri: string): void {
    this.command(`dial ${uri}`);
  }

  hangup(): void {
    this.command('hangup');
  }

  /** Waits until baresip's output (from `from` on) matches `re`. */
  async waitFor(re: RegExp, timeoutMs: number, what: string, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.output.slice(from))) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`timed out waiting for ${what}; baresip said:\n${this.output.slice(-2500)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** What baresip received in its last call (decoded), once the call has ended. */
  async heard(): Promise<Recording> {
    const files = (await readdir(join(this.dir, 'rec'))).filter((f) => f.endsWith('-dec.wav')).sort();
    const last = files.at(-1);
    if (last === undefined) throw new Error(`baresip recorded nothing; it said:\n${this.output.slice(-2500)}`);
    return firstChannel(await readFile(join(this.dir, 'rec', last)));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.command('quit');
      await Promise.race([this.#exit, new Promise((r) => setTimeout(r, 2000))]);
    }
    await stopChild(this.child, 2000);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** 16-bit PCM WAV of any channel count: the first channel. */
function firstChannel(buf: Buffer): Recording {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let offset = 12;
  let sampleRate = 0;
  let channels = 1;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      if (buf.readUInt16LE(body + 14) !== 16) throw new Error('recording is not 16-bit PCM');
    } else if (id === 'data') {
      // A file still open has no final size yet: take what is there.
      const bytes = size > 0 && body + size <= buf.length ? size : buf.length - body;
      const frames = Math.floor(bytes / (2 * channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = buf.readInt16LE(body + i * 2 * channels);
      return { sampleRate, samples };
    }
    offset = body + size + (size & 1);
  }
  throw new Error('no data chunk in the recording');
}
