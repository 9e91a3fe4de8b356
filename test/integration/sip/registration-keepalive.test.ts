import { afterEach, describe, expect, it } from 'vitest';
import type { RegistrationError, RegistrationState } from '../../../src/sip/registration.js';
import { Backoff } from '../../../src/util/backoff.js';
import type { CapturedRequest } from '../../support/drachtio-double/index.js';
import { closeRegistered, SipAppHarness, type HarnessOptions } from './support/sip-app-harness.js';

const ACCOUNT = { uri: 'sip:jigasi@pbx.test', password: 's3cret', server: '127.0.0.1', port: 5099 };
/** Keep-alive interval (and so probe timeout) of these tests, ms. */
const INTERVAL = 300;

let h: SipAppHarness | undefined;

afterEach(async () => {
  await closeRegistered(h);
  h = undefined;
});

async function start(sip: HarnessOptions['sip'] = {}, timing: HarnessOptions['timing'] = {}): Promise<SipAppHarness> {
  h = await SipAppHarness.start({
    sip: { ...ACCOUNT, ...sip },
    timing: { registerBackoff: new Backoff(40, 80), registerTimeoutMs: 2000, keepAliveIntervalMs: INTERVAL, ...timing },
  });
  return h;
}

function registrar(app: SipAppHarness): NonNullable<SipAppHarness['app']['registrar']> {
  const r = app.app.registrar;
  if (!r) throw new Error('no registrar');
  return r;
}

function stateLog(app: SipAppHarness): Array<[RegistrationState, string]> {
  const seen: Array<[RegistrationState, string]> = [];
  registrar(app).on('state', (s, detail) => seen.push([s, detail]));
  return seen;
}

/** Answers the next REGISTER with 200 and waits for the 'registered' state. */
async function register(app: SipAppHarness): Promise<CapturedRequest> {
  const registered = registrar(app).waitFor('registered', 3000);
  const reg = await app.double.waitForRequest('REGISTER');
  app.double.respond(reg, 200, { headers: { Contact: '<sip:jigasi@127.0.0.1:5060>;expires=600' } });
  await registered;
  return reg;
}

const optionsCount = (app: SipAppHarness): number => app.double.requests.filter((r) => r.method === 'OPTIONS').length;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('registration keep-alive', () => {
  it('probes the registrar with OPTIONS while registered and stays registered while it answers', async () => {
    const app = await start();
    const seen = stateLog(app);
    await register(app);
    const registeredAt = Date.now();

    const first = await app.double.waitForRequest('OPTIONS', 3000);
    expect(Date.now() - registeredAt).toBeGreaterThanOrEqual(INTERVAL - 50);
    // Sent exactly where the REGISTERs go, as the account.
    expect(first.uri).toBe('sip:127.0.0.1:5099');
    expect(first.destination).toEqual({ address: '127.0.0.1', port: 5099 });
    const m = first.message;
    expect(m.get('to')).toBe('<sip:jigasi@pbx.test>');
    expect(m.get('from')).toMatch(/^<sip:jigasi@pbx\.test>;tag=/);
    expect(m.cseq.method).toBe('OPTIONS');
    expect(m.has('authorization')).toBe(false);
    app.double.respond(first, 200);

    // An OPTIONS the registrar does not support still proves it alive.
    const second = await app.double.waitForRequest('OPTIONS', 3000);
    expect(second.message.callId).toBe(m.callId);
    expect(second.message.cseq.seq).toBeGreaterThan(m.cseq.seq);
    app.double.respond(second, 405);
    const third = await app.double.waitForRequest('OPTIONS', 3000);
    expect(third.message.callId).toBe(m.callId);
    expect(third.message.cseq.seq).toBeGreaterThan(second.message.cseq.seq);
    app.double.respond(third, 404);
    app.double.respond(await app.double.waitForRequest('OPTIONS', 3000), 200);

    expect(registrar(app).state).toBe('registered');
    expect(seen.map(([s]) => s)).toEqual(['registered']);
    expect(app.double.requests.filter((r) => r.method === 'REGISTER')).toHaveLength(1);
  });

  it('turns the registration failed after two unanswered probes, registers again at once and resumes probing', async () => {
    // A long backoff: a REGISTER arriving soon after the failure can only be the immediate one.
    const app = await start({}, { registerBackoff: new Backoff(10_000, 10_000) });
    await register(app);
    const seen = stateLog(app);
    const failures: RegistrationError[] = [];
    registrar(app).on('failed', (err) => failures.push(err));

    await app.double.waitForRequest('OPTIONS', 3000); // left unanswered
    await app.double.waitForRequest('OPTIONS', 3000); // left unanswered
    const secondSentAt = Date.now();
    const reg = await app.double.waitForRequest('REGISTER', 3000);
    expect(Date.now() - secondSentAt).toBeLessThan(INTERVAL + 1500);
    expect(seen[0]?.[0]).toBe('failed');
    expect(seen[0]?.[1]).toMatch(/registrar not answering keep-alives/);
    expect(failures.map((e) => e.kind)).toEqual(['keepalive']);
    expect(reg.message.get('expires')).toBe('600');
    // No probes while the registration is being re-established.
    const probesBefore = optionsCount(app);
    await sleep(INTERVAL * 2);
    expect(optionsCount(app)).toBe(probesBefore);

    const registered = registrar(app).waitFor('registered', 3000);
    app.double.respond(reg, 200, { headers: { Contact: '<sip:jigasi@127.0.0.1:5060>;expires=600' } });
    await registered;
    expect(seen.map(([s]) => s)).toEqual(['failed', 'registering', 'registered']);

    const resumed = await app.double.waitForRequest('OPTIONS', 3000);
    app.double.respond(resumed, 200);
    expect(registrar(app).state).toBe('registered');
  });

  it('counts 503 answers as failures and keeps retrying with backoff until the registrar is back', async () => {
    const app = await start();
    await register(app);
    const seen = stateLog(app);

    app.double.respond(await app.double.waitForRequest('OPTIONS', 3000), 503);
    // One failure alone changes nothing.
    expect(registrar(app).state).toBe('registered');
    app.double.respond(await app.double.waitForRequest('OPTIONS', 3000), 503);
    app.double.respond(await app.double.waitForRequest('REGISTER', 3000), 503);
    await register(app);
    expect(seen.map(([s]) => s)).toEqual(['failed', 'registering', 'failed', 'registering', 'registered']);
    app.double.respond(await app.double.waitForRequest('OPTIONS', 3000), 200);
  });

  it('recovers when a failed probe is followed by an answered one', async () => {
    const app = await start();
    await register(app);
    await app.double.waitForRequest('OPTIONS', 3000); // left unanswered
    app.double.respond(await app.double.waitForRequest('OPTIONS', 3000), 200);
    // The count starts over: one more miss is not yet two in a row.
    await app.double.waitForRequest('OPTIONS', 3000); // left unanswered
    app.double.respond(await app.double.waitForRequest('OPTIONS', 3000), 200);
    expect(registrar(app).state).toBe('registered');
    expect(app.double.requests.filter((r) => r.method === 'REGISTER')).toHaveLength(1);
  });

  it('sends nothing before the registration succeeds, and nothing after stop()', async () => {
    const app = await start();
    const reg = await app.double.waitForRequest('REGISTER');
    await sleep(INTERVAL * 2); // REGISTER still unanswered
    expect(optionsCount(app)).toBe(0);
    const registered = registrar(app).waitFor('registered', 3000);
    app.double.respond(reg, 200, { headers: { Contact: '<sip:jigasi@127.0.0.1:5060>;expires=600' } });
    await registered;
    app.double.respond(await app.double.waitForRequest('OPTIONS', 3000), 200);

    const stopping = app.app.stop();
    app.double.respond(await app.double.waitForRequest('REGISTER'), 200);
    await stopping;
    const after = optionsCount(app);
    await sleep(INTERVAL * 3);
    expect(optionsCount(app)).toBe(after);
    expect(registrar(app).state).toBe('unregistered');
  });

  it('sends no keep-alives with JIGASI_SIP_KEEP_ALIVE_METHOD=NONE', async () => {
    const app = await start({ keepAliveMethod: 'none' });
    await register(app);
    await sleep(INTERVAL * 3);
    expect(optionsCount(app)).toBe(0);
    expect(registrar(app).state).toBe('registered');
  });
});
