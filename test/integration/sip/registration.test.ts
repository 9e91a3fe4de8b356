import { afterEach, describe, expect, it } from 'vitest';
import type { RegistrationState } from '../../../src/sip/registration.js';
import { Backoff } from '../../../src/util/backoff.js';
import { digestChallenge, digestResponse, parseDigest, type CapturedRequest } from '../../support/drachtio-double/index.js';
import { closeRegistered, SipAppHarness, type HarnessOptions } from './support/sip-app-harness.js';

const ACCOUNT = { uri: 'sip:jigasi@pbx.test', password: 's3cret', server: '127.0.0.1', port: 5099 };

let h: SipAppHarness | undefined;

afterEach(async () => {
  await closeRegistered(h);
  h = undefined;
});

async function start(sip: HarnessOptions['sip'] = {}, timing: HarnessOptions['timing'] = {}): Promise<SipAppHarness> {
  h = await SipAppHarness.start({
    sip: { ...ACCOUNT, ...sip },
    timing: { registerBackoff: new Backoff(40, 80), registerTimeoutMs: 2000, ...timing },
  });
  return h;
}

function registrar(app: SipAppHarness): NonNullable<SipAppHarness['app']['registrar']> {
  const r = app.app.registrar;
  if (!r) throw new Error('no registrar');
  return r;
}

function states(app: SipAppHarness): RegistrationState[] {
  const seen: RegistrationState[] = [];
  registrar(app).on('state', (s) => seen.push(s));
  return seen;
}

/** Answers the next REGISTER with 200, granting `expires`. */
async function accept(app: SipAppHarness, expires: number): Promise<CapturedRequest> {
  const reg = await app.double.waitForRequest('REGISTER');
  app.double.respond(reg, 200, { headers: { Contact: `<sip:jigasi@127.0.0.1:5060>;expires=${expires}` } });
  return reg;
}

describe('registration', () => {
  it('registers the account, answering the digest challenge, and honours the granted expiry', async () => {
    const app = await start();
    const first = await app.double.waitForRequest('REGISTER');
    expect(first.uri).toBe('sip:pbx.test');
    expect(first.destination).toEqual({ address: '127.0.0.1', port: 5099 });
    const m = first.message;
    expect(m.get('to')).toBe('<sip:jigasi@pbx.test>');
    expect(m.get('from')).toMatch(/^<sip:jigasi@pbx\.test>;tag=/);
    // drachtio-server fills in its own address for an @localhost Contact.
    expect(m.get('contact')).toBe('<sip:jigasi@localhost>');
    expect(m.get('expires')).toBe('600');
    expect(m.has('authorization')).toBe(false);

    const registered = registrar(app).waitFor('registered', 3000);
    app.double.respond(first, 401, { headers: { 'WWW-Authenticate': digestChallenge({ realm: 'pbx.test', nonce: 'n0nce', qop: 'auth' }) } });
    const second = await app.double.waitForRequest('REGISTER');
    expect(second.message.getAll('call-id')).toEqual([m.callId]);
    expect(second.message.cseq.seq).toBe(m.cseq.seq + 1);
    const auth = parseDigest(second.message.require('authorization'));
    expect(auth).toMatchObject({ username: 'jigasi', realm: 'pbx.test', uri: 'sip:pbx.test' });
    expect(auth.response).toBe(
      digestResponse({ username: 'jigasi', password: 's3cret', realm: 'pbx.test', nonce: 'n0nce', method: 'REGISTER', uri: 'sip:pbx.test', qop: 'auth', nc: auth.nc, cnonce: auth.cnonce }),
    );
    app.double.respond(second, 200, { headers: { Contact: '<sip:jigasi@127.0.0.1:5060>;expires=300' } });
    expect(await registered).toEqual([300]);
    expect(registrar(app).state).toBe('registered');
    const expiresAt = registrar(app).expiresAt ?? 0;
    expect(expiresAt - Date.now()).toBeGreaterThan(290_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(300_000);
  });

  it('refreshes at half the granted expiry with the same Call-ID and a higher CSeq', async () => {
    const app = await start({ registerExpires: 2 });
    const first = await accept(app, 2);
    const t0 = Date.now();
    const refresh = await accept(app, 2);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThan(700);
    expect(waited).toBeLessThan(2000); // before the 2 s binding lapses
    expect(refresh.message.callId).toBe(first.message.callId);
    expect(refresh.message.cseq.seq).toBeGreaterThan(first.message.cseq.seq);
    expect(registrar(app).state).toBe('registered');
  });

  it('keeps retrying while the registrar answers 503 or nothing, and recovers when it answers again', async () => {
    const app = await start({}, { registerTimeoutMs: 200 });
    const seen = states(app);
    const failures: string[] = [];
    registrar(app).on('failed', (err) => failures.push(`${err.kind}:${err.status ?? '-'}`));

    app.double.respond(await app.double.waitForRequest('REGISTER'), 503);
    app.double.respond(await app.double.waitForRequest('REGISTER'), 503);
    await app.double.waitForRequest('REGISTER'); // left unanswered: times out
    const registered = registrar(app).waitFor('registered', 3000);
    await accept(app, 120);
    expect(await registered).toEqual([120]);
    expect(failures).toEqual(['rejected:503', 'rejected:503', 'timeout:-']);
    expect(seen).toEqual(['failed', 'registering', 'failed', 'registering', 'failed', 'registering', 'registered']);
  });

  it('registers again after the drachtio connection drops and comes back', async () => {
    const app = await start();
    await accept(app, 600);
    await expect.poll(() => registrar(app).state).toBe('registered');
    await app.double.disconnect();
    await expect.poll(() => registrar(app).state).toBe('registering');
    await app.double.waitForConnection();
    const again = registrar(app).waitFor('registered', 3000);
    const reg = await accept(app, 600);
    expect(reg.message.get('expires')).toBe('600');
    await again;
  });

  it('removes the binding with Expires: 0 on stop', async () => {
    const app = await start();
    await accept(app, 600);
    await expect.poll(() => registrar(app).state).toBe('registered');
    const stopping = app.app.stop();
    const unregister = await app.double.waitForRequest('REGISTER');
    expect(unregister.message.get('expires')).toBe('0');
    expect(unregister.message.get('contact')).toBe('<sip:jigasi@localhost>');
    app.double.respond(unregister, 200);
    await stopping;
    expect(registrar(app).state).toBe('unregistered');
  });
});
