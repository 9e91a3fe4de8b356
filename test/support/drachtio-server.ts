/**
 * A real drachtio-server for tests, when DRACHTIO_BIN points at one (v0.9.x): its own config in
 * a temp dir, admin and SIP ports chosen free on 127.0.0.1, output kept for failure messages.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DRACHTIO_BIN = process.env['DRACHTIO_BIN'] ?? '';

export function drachtioAvailable(): boolean {
  return DRACHTIO_BIN !== '' && existsSync(DRACHTIO_BIN);
}

export function sippAvailable(): boolean {
  return spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
}

export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Runs a command to its end (or kills it after timeoutMs); resolves with its exit code and output. */
export function runCommand(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
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

/** Stops a child: SIGTERM, then SIGKILL after graceMs. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 3000): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** A SIP over TLS listener: its key, certificate and CA chain files (PEM). */
export interface DrachtioTls {
  keyFile: string;
  certFile: string;
  /** drachtio-server will not listen without one (sofia-sip loads it as its CA list); the certificate itself by default. */
  chainFile?: string;
}

export class DrachtioServer {
  #log = '';
  /** The SIP over TLS port, when started with `tls`. */
  tlsPort: number | undefined;

  private constructor(
    readonly dir: string,
    readonly adminPort: number,
    readonly sipPort: number,
    readonly secret: string,
    private child: ChildProcess,
  ) {}

  /**
   * `sipPort`: a given SIP port (a host restarted on its old address); a free one by default.
   * `opts.tls`: also listen for SIP over TLS (a contact with transport=tls) on a free port.
   */
  static async start(secret = 'test-secret', sipPort?: number, opts: { tls?: DrachtioTls } = {}): Promise<DrachtioServer> {
    const dir = await mkdtemp(join(tmpdir(), 'drachtio-'));
    const adminPort = await freeTcpPort();
    sipPort ??= await freeUdpPort();
    const tlsPort = opts.tls === undefined ? undefined : await freeTcpPort();
    const conf = join(dir, 'drachtio.conf.xml');
    const tls =
      opts.tls === undefined
        ? ''
        : `<tls><key-file>${opts.tls.keyFile}</key-file><cert-file>${opts.tls.certFile}</cert-file><chain-file>${opts.tls.chainFile ?? opts.tls.certFile}</chain-file></tls>`;
    await writeFile(
      conf,
      `<drachtio>
  <admin port="${adminPort}" secret="${secret}">127.0.0.1</admin>
  <sip><contacts><contact>sip:127.0.0.1:${sipPort};transport=udp</contact>${tlsPort === undefined ? '' : `<contact>sips:127.0.0.1:${tlsPort};transport=tls</contact>`}</contacts>${tls}</sip>
  <logging><console/><loglevel>info</loglevel><sofia-loglevel>3</sofia-loglevel></logging>
</drachtio>
`,
    );
    const child = DrachtioServer.#spawn(conf, adminPort, secret);
    const server = new DrachtioServer(dir, adminPort, sipPort, secret, child);
    server.tlsPort = tlsPort;
    server.#capture(child);
    return server;
  }

  static #spawn(conf: string, adminPort: number, secret: string): ChildProcess {
    return spawn(DRACHTIO_BIN, ['-f', conf, '--address', '127.0.0.1', '--port', String(adminPort), '--secret', secret], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  #capture(child: ChildProcess): void {
    const keep = (d: Buffer): void => {
      this.#log = (this.#log + d.toString()).slice(-200_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** The last part of drachtio-server's output, for failure messages. */
  tail(chars = 3000): string {
    return this.#log.slice(-chars);
  }

  /** Kills drachtio-server and starts it again on the same ports (a restart seen by the gateway). */
  async restart(): Promise<void> {
    await stopChild(this.child);
    this.child = DrachtioServer.#spawn(join(this.dir, 'drachtio.conf.xml'), this.adminPort, this.secret);
    this.#capture(this.child);
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    await rm(this.dir, { recursive: true, force: true });
  }
}
