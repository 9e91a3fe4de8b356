/**
 * A real Kamailio (Debian package `kamailio`) for tests, running the repository's own
 * deploy/kamailio/kamailio.cfg: its settings given with -A, its dispatcher list, control socket,
 * pid and runtime files in a temp dir, listening on a free 127.0.0.1 UDP port only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeUdpPort, runCommand, stopChild } from './drachtio-server.js';

export const KAMAILIO_CONFIG = join(dirname(fileURLToPath(import.meta.url)), '../../deploy/kamailio/kamailio.cfg');

export function kamailioAvailable(): boolean {
  return spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).error === undefined && spawnSync('kamcmd', ['-h'], { stdio: 'ignore' }).error === undefined;
}

export interface KamailioOptions {
  /** The gateways' SIP addresses, host:port. */
  gateways: readonly string[];
  /** DS_PING_INTERVAL: seconds between OPTIONS probes of each gateway. */
  pingIntervalS: number;
  /** FR_TIMER_MS: how long a gateway may stay silent before it counts as dead. */
  frTimerMs: number;
  probingThreshold?: number;
  inactiveThreshold?: number;
}

/** A gateway's state as the dispatcher sees it: A(ctive), I(nactive), T(rying), D(isabled); P when probed. */
export interface DispatcherTarget {
  uri: string;
  flags: string;
}

export class Kamailio {
  #log = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly options: KamailioOptions,
    private readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer): void => {
      this.#log = (this.#log + d.toString()).slice(-100_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(o: KamailioOptions): Promise<Kamailio> {
    const dir = await mkdtemp(join(tmpdir(), 'kamailio-'));
    const port = await freeUdpPort();
    const list = join(dir, 'dispatcher.list');
    await writeFile(list, o.gateways.map((g) => `1 sip:${g} 0 0\n`).join(''));
    const defines = {
      LISTEN: `udp:127.0.0.1:${port}`,
      DS_LIST: `"${list}"`,
      DS_PING_INTERVAL: String(o.pingIntervalS),
      DS_PROBING_THRESHOLD: String(o.probingThreshold ?? 1),
      DS_INACTIVE_THRESHOLD: String(o.inactiveThreshold ?? 1),
      FR_TIMER_MS: String(o.frTimerMs),
      CTL_SOCKET: `"unix:${join(dir, 'ctl')}"`,
    };
    const args = [
      ...['-f', KAMAILIO_CONFIG, '-DD', '-E', '-Y', dir, '-P', join(dir, 'kamailio.pid'), '-w', dir],
      // Two workers and small memory pools: a test sends a few dozen calls.
      ...['-n', '2', '-m', '64', '-M', '8'],
      ...Object.entries(defines).flatMap(([k, v]) => ['-A', `${k}=${v}`]),
    ];
    const child = spawn('kamailio', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const k = new Kamailio(dir, port, o, child);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`kamailio exited with ${child.exitCode}:\n${k.tail()}`);
      if ((await k.targets().catch(() => [])).length === o.gateways.length) break;
      if (Date.now() > deadline) {
        await k.stop();
        throw new Error(`kamailio did not come up:\n${k.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return k;
  }

  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The dispatcher's view of every gateway (kamcmd dispatcher.list). */
  async targets(): Promise<DispatcherTarget[]> {
    const { code, output } = await runCommand('kamcmd', ['-s', `unix:${join(this.dir, 'ctl')}`, 'dispatcher.list'], 5000);
    if (code !== 0) throw new Error(`kamcmd failed: ${output}`);
    const out: DispatcherTarget[] = [];
    const re = /URI:\s*(\S+)\s+FLAGS:\s*(\S+)/g;
    for (let m = re.exec(output); m !== null; m = re.exec(output)) out.push({ uri: m[1] ?? '', flags: m[2] ?? '' });
    return out;
  }

  /** Whether the dispatcher sends new calls to `gateway` (host:port): its state is active. */
  async active(gateway: string): Promise<boolean> {
    const t = (await this.targets()).find((x) => x.uri === `sip:${gateway}`);
    return t !== undefined && t.flags.startsWith('A');
  }

  /** Resolves with the ms it took until `gateway` is (in)active as wanted; rejects after timeoutMs. */
  async waitUntil(gateway: string, wantActive: boolean, timeoutMs: number): Promise<number> {
    const start = performance.now();
    for (;;) {
      if ((await this.active(gateway)) === wantActive) return performance.now() - start;
      if (performance.now() - start > timeoutMs) {
        throw new Error(`dispatcher still sees ${gateway} as ${wantActive ? 'inactive' : 'active'} after ${timeoutMs} ms: ${JSON.stringify(await this.targets())}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The last part of Kamailio's log, for failure messages. */
  tail(chars = 3000): string {
    return this.#log.slice(-chars);
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    await rm(this.dir, { recursive: true, force: true });
  }
}
