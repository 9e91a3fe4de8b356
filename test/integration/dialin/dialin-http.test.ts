/**
 * Contract of the dial-in endpoints against what Jitsi Meet's invite code reads
 * (react/features/invite: updateDialInNumbers, getDialInConferenceID, getDialInNumbers,
 * _getDefaultPhoneNumber, the reducer): the requests it sends, the fields and types it uses, the
 * status codes, CORS, caching and the per-client rate limit. Real listener, real SQLite store.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinConferenceMapper } from '../../../src/dialin/conference-mapper.js';
import { DialInServer, type DialInServerOptions } from '../../../src/dialin/http/dialin-server.js';
import { silentLogger } from '../../../src/log.js';
import { MUC, openMapper } from './support/mappers.js';

const NUMBERS = [
  { countryCode: 'DE', formattedNumber: '+49 30 1234567', tollFree: false },
  { countryCode: 'US', formattedNumber: '+1 555 010 0100', tollFree: true },
];
const TOKEN = 'ivr-token-0123456789abcdef';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): unknown;
}

/** One HTTP request from `from` (a loopback address: each is another client). */
function get(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; from?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {}, localAddress: opts.from ?? '127.0.0.1', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const dirs: string[] = [];
const servers: DialInServer[] = [];
const mappers: BuiltinConferenceMapper[] = [];

async function serve(o: Partial<DialInServerOptions> = {}): Promise<{ port: number; server: DialInServer; mapper: BuiltinConferenceMapper }> {
  const dir = mkdtempSync(join(tmpdir(), 'dialin-http-'));
  dirs.push(dir);
  const mapper = await openMapper({ kind: 'sqlite', dir });
  mappers.push(mapper);
  const server = new DialInServer({
    host: '127.0.0.1',
    port: 0,
    mapper,
    numbers: NUMBERS,
    numbersFormat: 'array',
    corsOrigins: ['*'],
    trustedProxies: ['127.0.0.1/32'],
    rateLimit: { perSecond: 0, burst: 1 },
    lookupToken: TOKEN,
    logger: silentLogger(),
    ...o,
  });
  servers.push(server);
  const { port } = await server.start();
  return { port, server, mapper };
}

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const m of mappers) await m.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('GET /conferenceMapper, as Jitsi Meet asks for the PIN', () => {
  let port = 0;
  beforeAll(async () => {
    ({ port } = await serve());
  });

  it('answers {message, id: number, conference} and the same id every time, cacheable', async () => {
    // Exactly what getDialInConferenceID sends: room@muc by concatenation, then &url=.
    const path = `/conferenceMapper?conference=weekly@${MUC}&url=https://meet.example.com/weekly`;
    const a = await get(port, path);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('application/json');
    expect(a.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(a.headers['access-control-allow-origin']).toBe('*');
    const body = a.json() as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['conference', 'id', 'message']);
    expect(typeof body['message']).toBe('string');
    expect(typeof body['id']).toBe('number');
    expect(String(body['id'])).toMatch(/^[1-9]\d{7}$/);
    expect(body['conference']).toBe(`weekly@${MUC}`);
    expect((await get(port, path)).json()).toEqual(body);
    // Upper case from another client is the same meeting.
    expect(((await get(port, `/conferenceMapper?conference=WEEKLY@${MUC}`)).json() as { id: number }).id).toBe(body['id']);
  });

  it("keeps Jitsi Meet's percent-encoded backend room name as the room", async () => {
    const r = (await get(port, `/conferenceMapper?conference=caf%c3%a9@${MUC}&url=https://meet.example.com/caf%C3%A9`)).json() as { conference: string };
    expect(r.conference).toBe(`caf%c3%a9@${MUC}`);
    // A client that encoded the whole value (%40 for @) names the same meeting.
    const enc = (await get(port, `/conferenceMapper?conference=${encodeURIComponent(`caf%c3%a9@${MUC}`)}`)).json() as { conference: string };
    expect(enc.conference).toBe(r.conference);
  });

  it('refuses a missing or malformed conference with 400 and a JSON message', async () => {
    for (const path of ['/conferenceMapper', '/conferenceMapper?conference=', `/conferenceMapper?conference=it's@${MUC}`, '/conferenceMapper?conference=two%20words', '/conferenceMapper?conference=room@not_a_domain', `/conferenceMapper?conference=a/b@${MUC}`]) {
      const r = await get(port, path);
      expect(r.status, path).toBe(400);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.json()).toEqual({ message: expect.any(String), status: 400 });
    }
  });

  it('does not look meetings up by PIN (403): anyone could collect meeting names', async () => {
    const { id } = (await get(port, `/conferenceMapper?conference=secret@${MUC}`)).json() as { id: number };
    const r = await get(port, `/conferenceMapper?id=${id}`);
    expect(r.status).toBe(403);
    expect(r.text).not.toContain('secret');
  });
});

describe('GET /phoneNumberList, as Jitsi Meet asks for the numbers', () => {
  it('answers the array of {countryCode, tollFree, formattedNumber}, cacheable', async () => {
    const { port } = await serve();
    const r = await get(port, `/phoneNumberList?conference=weekly@${MUC}`);
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toMatch(/max-age=\d+/);
    const body = r.json() as Array<Record<string, unknown>>;
    expect(Array.isArray(body)).toBe(true);
    for (const n of body) {
      expect(Object.keys(n).sort()).toEqual(['countryCode', 'formattedNumber', 'tollFree']);
      expect(typeof n['countryCode']).toBe('string');
      expect(typeof n['formattedNumber']).toBe('string');
      expect(typeof n['tollFree']).toBe('boolean');
    }
    expect(body).toEqual(NUMBERS);
    // The dial-in info page may ask without a conference.
    expect((await get(port, '/phoneNumberList')).json()).toEqual(NUMBERS);
    expect((await get(port, '/phoneNumberList?conference=a%20b@x')).status).toBe(400);
  });

  it('answers {numbers per country, numbersEnabled} in the older format', async () => {
    const { port } = await serve({ numbersFormat: 'object' });
    expect((await get(port, `/phoneNumberList?conference=weekly@${MUC}`)).json()).toEqual({
      message: expect.any(String),
      numbers: { DE: ['+49 30 1234567'], US: ['+1 555 010 0100'] },
      numbersEnabled: true,
    });
    const none = await serve({ numbersFormat: 'object', numbers: [] });
    expect((await get(none.port, '/phoneNumberList')).json()).toMatchObject({ numbers: {}, numbersEnabled: false });
  });
});

describe('the listener', () => {
  let port = 0;
  beforeAll(async () => {
    ({ port } = await serve({ corsOrigins: ['https://meet.example.com'] }));
  });

  it('answers a CORS preflight from the Jitsi Meet origin and refuses another origin', async () => {
    const ok = await get(port, '/conferenceMapper', {
      method: 'OPTIONS',
      headers: { origin: 'https://meet.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'content-type' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://meet.example.com');
    expect(ok.headers['access-control-allow-methods']).toContain('GET');
    expect(ok.headers['access-control-allow-headers']).toBe('content-type');
    expect(ok.headers['vary']).toBe('Origin');
    const other = await get(port, '/conferenceMapper', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(other.status).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const answer = await get(port, `/phoneNumberList`, { headers: { origin: 'https://meet.example.com' } });
    expect(answer.headers['access-control-allow-origin']).toBe('https://meet.example.com');
    expect((await get(port, `/phoneNumberList`, { headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves nothing of the operator API, and only GET', async () => {
    for (const path of ['/about/health', '/about/stats', '/metrics', '/about/shutdown', '/']) {
      expect((await get(port, path)).status, path).toBe(404);
    }
    const post = await get(port, `/conferenceMapper?conference=x@${MUC}`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toContain('GET');
  });

  it('gives a calendar block with the numbers, the PIN and one-tap strings', async () => {
    const { id } = (await get(port, `/conferenceMapper?conference=board@${MUC}`)).json() as { id: number };
    const r = await get(port, `/dialInInfo?conference=board@${MUC}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.text).toContain('+49 30 1234567');
    expect(r.text).toContain(`+49301234567,,${id}#`);
    expect(r.text).toContain(`+15550100100,,${id}#`);
    expect(r.text.replace(/ /g, '')).toContain(`PIN:${id}#`);
    expect((await get(port, '/dialInInfo')).status).toBe(400);
  });

  it('looks a PIN up for an external IVR only with the bearer token, without CORS', async () => {
    const { id } = (await get(port, `/conferenceMapper?conference=ivr@${MUC}`)).json() as { id: number };
    expect((await get(port, `/pinLookup?id=${id}`)).status).toBe(401);
    expect((await get(port, `/pinLookup?id=${id}`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    const ok = await get(port, `/pinLookup?id=${id}`, { headers: { authorization: `Bearer ${TOKEN}`, origin: 'https://meet.example.com' } });
    expect(ok.status).toBe(200);
    expect(ok.json()).toEqual({ id, conference: `ivr@${MUC}` });
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    expect(ok.headers['cache-control']).toBe('no-store');
    const unknown = await get(port, '/pinLookup?id=12', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ id: 12, conference: false });
    const { port: open } = await serve({ lookupToken: undefined });
    expect((await get(open, `/pinLookup?id=${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });
});

describe('rate limit per client address', () => {
  it('answers a client that hammers with 429 and Retry-After while another client is served', async () => {
    let now = 1_000_000;
    const { port } = await serve({ rateLimit: { perSecond: 5, burst: 10 }, now: () => now, trustedProxies: [] });
    const hammer = await Promise.all(Array.from({ length: 40 }, () => get(port, `/conferenceMapper?conference=busy@${MUC}`, { from: '127.0.0.2' })));
    const refused = hammer.filter((r) => r.status === 429);
    expect(hammer.filter((r) => r.status === 200)).toHaveLength(10);
    expect(refused).toHaveLength(30);
    for (const r of refused) {
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.json()).toEqual({ message: expect.any(String), status: 429 });
      // The browser must be able to read the refusal.
      expect(r.headers['access-control-allow-origin']).toBe('*');
    }
    const other = await get(port, `/conferenceMapper?conference=busy@${MUC}`, { from: '127.0.0.3' });
    expect(other.status).toBe(200);
    // Tokens come back with time (the limiter's clock, not a wait).
    now += 1000;
    expect((await get(port, `/phoneNumberList`, { from: '127.0.0.2' })).status).toBe(200);
  });

  it('counts clients behind a trusted proxy by X-Forwarded-For, and ignores the header from anyone else', async () => {
    const { port } = await serve({ rateLimit: { perSecond: 1, burst: 2 }, trustedProxies: ['127.0.0.1/32'], now: () => 0 });
    const viaProxy = (client: string): Promise<Reply> => get(port, '/phoneNumberList', { headers: { 'x-forwarded-for': `203.0.113.9, ${client}` } });
    expect((await viaProxy('198.51.100.1')).status).toBe(200);
    expect((await viaProxy('198.51.100.1')).status).toBe(200);
    expect((await viaProxy('198.51.100.1')).status).toBe(429);
    expect((await viaProxy('198.51.100.2')).status).toBe(200);
    // Not a trusted proxy: its X-Forwarded-For is not believed, it is counted as itself.
    const direct = (xff: string): Promise<Reply> => get(port, '/phoneNumberList', { from: '127.0.0.4', headers: { 'x-forwarded-for': xff } });
    expect((await direct('198.51.100.3')).status).toBe(200);
    expect((await direct('198.51.100.4')).status).toBe(200);
    expect((await direct('198.51.100.5')).status).toBe(429);
  });
});
