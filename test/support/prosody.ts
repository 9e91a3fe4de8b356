/**
 * A real Prosody (the Debian package) for integration tests: its own config, data and log in a
 * temp folder, c2s only on 127.0.0.1 at a free port, hosts laid out like a Jitsi deployment.
 *
 *   const prosody = await startProsody({ users: [{ user: 'jigasi', host: 'auth.meet.test', password: 'x' }] });
 *   ...
 *   await prosody.dispose();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProsodyConfig } from './prosody/config.js';
import { writeAccount } from './prosody/accounts.js';

export interface ProsodyOptions {
  /** extra global modules_enabled entries */
  modules?: string[];
  /** extra directories with our own test-only Lua plugins (plugin_paths) */
  pluginPaths?: string[];
  /** extra modules for the muc.meet.test component (e.g. a test lobby plugin) */
  mucModules?: string[];
  /** extra raw Lua lines appended to the muc.meet.test Component block */
  mucExtraConfig?: string;
  /** accounts to create: { user: 'jigasi', host: 'auth.meet.test', password: 'secret' } */
  users?: Array<{ user: string; host: string; password: string }>;
  /** bare JIDs made server admins (Prosody then makes them owners of every MUC room, like Jitsi's focus) */
  admins?: string[];
}

export interface ProsodyHarness {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly domain: string; // 'meet.test'
  readonly authDomain: string; // 'auth.meet.test'
  readonly mucDomain: string; // 'muc.meet.test'
  readonly internalMucDomain: string; // 'internal-muc.meet.test'
  readonly service: string; // 'xmpp://127.0.0.1:<port>'
  readonly dir: string; // temp dir (config, data, log)
  createUser(user: string, host: string, password: string): Promise<void>;
  /** kills it, waits for exit */
  stop(): Promise<void>;
  /** (re)starts on the SAME port, resolves when the port accepts connections */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** stop + remove temp dir */
  dispose(): Promise<void>;
  /** for debugging failed tests */
  logTail(lines?: number): string;
}

const OWN_PLUGINS = join(dirname(fileURLToPath(import.meta.url)), 'prosody', 'plugins');
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;

function prosodyBinary(): string | undefined {
  const fromEnv = process.env['PROSODY_BIN'];
  const candidates = fromEnv
    ? [fromEnv]
    : (process.env['PATH'] ?? '/usr/bin').split(delimiter).map((d) => join(d, 'prosody'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

export function prosodyAvailable(): boolean {
  return prosodyBinary() !== undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Every Prosody still running when the test process exits is killed, whatever the tests did.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

class PortInUseError extends Error {}

class Harness implements ProsodyHarness {
  readonly host = '127.0.0.1' as const;
  readonly domain = 'meet.test';
  readonly authDomain = 'auth.meet.test';
  readonly mucDomain = 'muc.meet.test';
  readonly internalMucDomain = 'internal-muc.meet.test';
  readonly dir: string;
  readonly #bin: string;
  readonly #options: ProsodyOptions;
  readonly #dataDir: string;
  readonly #logFile: string;
  readonly #configFile: string;
  #port = 0;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(bin: string, options: ProsodyOptions) {
    this.#bin = bin;
    this.#options = options;
    this.dir = mkdtempSync(join(tmpdir(), 'prosody-test-'));
    this.#dataDir = join(this.dir, 'data');
    this.#logFile = join(this.dir, 'prosody.log');
    this.#configFile = join(this.dir, 'prosody.cfg.lua');
    mkdirSync(this.#dataDir);
    mkdirSync(join(this.dir, 'certs'));
  }

  get port(): number {
    return this.#port;
  }

  get service(): string {
    return `xmpp://127.0.0.1:${this.#port}`;
  }

  /** First start: pick a free port, retrying with another if something grabbed it meanwhile. */
  async boot(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#port = await freePort();
      this.#writeConfig();
      try {
        await this.start();
        return;
      } catch (err) {
        if (!(err instanceof PortInUseError) || attempt >= 3) throw err;
      }
    }
  }

  #writeConfig(): void {
    const o = this.#options;
    const config = buildProsodyConfig({
      dir: this.dir,
      dataDir: this.#dataDir,
      certsDir: join(this.dir, 'certs'),
      logFile: this.#logFile,
      pidFile: join(this.dir, 'prosody.pid'),
      port: this.#port,
      domain: this.domain,
      authDomain: this.authDomain,
      mucDomain: this.mucDomain,
      internalMucDomain: this.internalMucDomain,
      parentPid: process.pid,
      pluginPaths: [OWN_PLUGINS, ...(o.pluginPaths ?? [])],
      modules: o.modules ?? [],
      mucModules: o.mucModules ?? [],
      mucExtraConfig: o.mucExtraConfig ?? '',
      admins: o.admins ?? [],
    });
    writeFileSync(this.#configFile, config);
  }

  async createUser(user: string, host: string, password: string): Promise<void> {
    writeAccount(this.#dataDir, user, host, password);
  }

  async start(): Promise<void> {
    if (this.#child) return;
    const logOffset = existsSync(this.#logFile) ? statSync(this.#logFile).size : 0;
    const out = openSync(join(this.dir, 'stdout.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.#bin, ['--config', this.#configFile, '-F'], {
        cwd: this.dir,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    this.#child = child;
    live.add(child);
    let exitedEarly = false;
    this.#exited = new Promise<void>((resolve) => {
      const done = (): void => {
        exitedEarly = true;
        live.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      };
      child.once('exit', done);
      child.once('error', done);
    });

    const ready = `Activated service 'c2s' on [127.0.0.1]:${this.#port}`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const log = this.#readLog(logOffset);
      if (log.includes(ready)) return;
      if (log.includes("Activated service 'c2s' on no ports") || log.includes('Failed to open server port')) {
        await this.stop();
        throw new PortInUseError(`prosody could not listen on 127.0.0.1:${this.#port}\n${this.logTail(20)}`);
      }
      if (exitedEarly) {
        throw new Error(`prosody exited during startup (code ${child.exitCode})\n${this.logTail(30)}\n${this.#stdout()}`);
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`prosody not ready after ${READY_TIMEOUT_MS} ms\n${this.logTail(30)}`);
      }
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 50): string {
    return this.#readLog(0).split('\n').slice(-lines - 1).join('\n');
  }

  #readLog(offset: number): string {
    try {
      const buf = readFileSync(this.#logFile);
      return buf.subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  }

  #stdout(): string {
    try {
      return readFileSync(join(this.dir, 'stdout.log'), 'utf8');
    } catch {
      return '';
    }
  }
}

export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyHarness> {
  const bin = prosodyBinary();
  if (!bin) throw new Error('prosody binary not found (install the Debian package or set PROSODY_BIN)');
  const harness = new Harness(bin, options);
  for (const u of options.users ?? []) await harness.createUser(u.user, u.host, u.password);
  try {
    await harness.boot();
  } catch (err) {
    await harness.dispose();
    throw err;
  }
  return harness;
}
