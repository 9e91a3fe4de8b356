import { describe, expect, it } from 'vitest';
import { CheckProblem, ok, problem, skipped, type CheckSpec } from '../../../src/check/check.js';
import { checkMediaAddress } from '../../../src/check/media-address-check.js';
import { exitCodeOf, formatReport } from '../../../src/check/report.js';
import { runChecks } from '../../../src/check/runner.js';
import { loadConfig, type MediaConfig } from '../../../src/config/index.js';

const spec = (name: string, run: CheckSpec['run'], extra: Partial<CheckSpec> = {}): CheckSpec => ({ name, timeoutMs: 1000, fixOnTimeout: `${name} timed out`, run, ...extra });

describe('runChecks', () => {
  it('runs independent checks at once and a check after those it needs', async () => {
    const order: string[] = [];
    let releaseA!: () => void;
    const aGate = new Promise<void>((r) => (releaseA = r));
    const results = runChecks([
      spec('a', async () => {
        order.push('a start');
        await aGate;
        order.push('a end');
        return ok('a');
      }),
      spec('b', async () => {
        order.push('b');
        releaseA();
        return ok('b');
      }),
      spec('c', async () => {
        order.push('c');
        return ok('c');
      }, { needs: ['a'] }),
    ]);
    expect((await results).map((r) => [r.name, r.status])).toEqual([['a', 'ok'], ['b', 'ok'], ['c', 'ok']]);
    expect(order).toEqual(['a start', 'b', 'a end', 'c']);
  });

  it('skips a check whose need failed, naming it, and turns a throw into a problem with its fix', async () => {
    const results = await runChecks([
      spec('login', () => Promise.reject(new CheckProblem('refused', 'set the password'))),
      spec('room', () => Promise.resolve(ok('never')), { needs: ['login'] }),
      spec('tls', () => Promise.resolve(skipped('off'))),
      spec('after-skip', () => Promise.resolve(ok('ran')), { needs: ['tls'] }),
    ]);
    expect(results.map((r) => [r.name, r.status, r.detail])).toEqual([
      ['login', 'problem', 'refused'],
      ['room', 'skipped', 'needs login first'],
      ['tls', 'skipped', 'off'],
      ['after-skip', 'skipped', 'needs tls first'],
    ]);
    expect(results[0]?.fix).toBe('set the password');
  });

  it('bounds each check by its timeout and aborts its signal', async () => {
    let aborted = false;
    const results = await runChecks([
      spec('stuck', (signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))), { timeoutMs: 50 }),
    ]);
    expect(results[0]).toMatchObject({ status: 'problem', detail: 'no answer within 50 ms', fix: 'stuck timed out' });
    expect(aborted).toBe(true);
  });
});

describe('the report', () => {
  it('prints one line per check with the fix of each problem, a summary, and exit 1 on a problem', async () => {
    const results = await runChecks([spec('one', async () => ok('fine')), spec('two', async () => problem('broken\nbadly', 'mend it')), spec('three', async () => skipped('not used'))]);
    const lines = formatReport(results).trimEnd().split('\n');
    expect(lines).toEqual(['ok       one    fine', 'problem  two    broken badly — fix: mend it', 'skipped  three  not used', '1 problem: the gateway will not work as configured until it is fixed']);
    expect(exitCodeOf(results)).toBe(1);
    expect(exitCodeOf(results.filter((r) => r.status !== 'problem'))).toBe(0);
  });
});

describe('checkMediaAddress', () => {
  const defaults = loadConfig({ env: { JIGASI_XMPP_PASSWORD: 'x' } }).media;
  const media = (address: string, bindAddress = address): MediaConfig => ({ ...defaults, address, bindAddress });
  const host = (): string[] => ['127.0.0.1', '10.0.0.5'];

  it('accepts an address of this host', () => {
    expect(checkMediaAddress(media('10.0.0.5'), host)).toMatchObject({ status: 'ok' });
  });
  it('names an address this host does not have, with the NAT fix', () => {
    expect(checkMediaAddress(media('203.0.113.7'), host)).toMatchObject({ status: 'problem', detail: expect.stringContaining('10.0.0.5'), fix: expect.stringContaining('MEDIA_BIND_ADDRESS') });
  });
  it('accepts a public address announced over a local bind address (NAT), but not a foreign bind address', () => {
    expect(checkMediaAddress(media('203.0.113.7', '10.0.0.5'), host)).toMatchObject({ status: 'ok' });
    expect(checkMediaAddress(media('203.0.113.7', '10.9.9.9'), host)).toMatchObject({ status: 'problem' });
  });
});
