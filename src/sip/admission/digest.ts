import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * RFC 2617 / 3261 digest authentication of callers (MD5, qop=auth). Nonces are stateless: they
 * carry their issue time and an HMAC with a per-process key, so no nonce table can grow without
 * bound under an INVITE flood, and a stale nonce is answered with stale=true.
 */
export interface DigestCredentials {
  username: string;
  password: string;
}

export type DigestVerdict =
  | { ok: true; username: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'unknown-user' | 'wrong-realm' | 'bad-nonce' | 'stale' | 'wrong-response' };

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** Parses `Digest k="v", k2=v2` into a map (keys lowercased). */
export function parseDigestHeader(value: string): Map<string, string> | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(value);
  if (m === null || m[1] === undefined) return undefined;
  const out = new Map<string, string>();
  const re = /([a-zA-Z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]+)\s*(,|$)/g;
  let part: RegExpExecArray | null;
  while ((part = re.exec(m[1])) !== null) {
    const key = part[1];
    if (key === undefined) continue;
    out.set(key.toLowerCase(), part[3] !== undefined ? part[3].replace(/\\(.)/g, '$1') : (part[2] ?? ''));
  }
  return out.size > 0 ? out : undefined;
}

export class DigestAuthenticator {
  readonly #key = randomBytes(32);
  readonly #users: Map<string, string>;

  constructor(
    readonly realm: string,
    users: readonly DigestCredentials[],
    private readonly nonceTtlMs = 300_000,
    private readonly now: () => number = Date.now,
  ) {
    this.#users = new Map(users.map((u) => [u.username, u.password]));
  }

  get enabled(): boolean {
    return this.#users.size > 0;
  }

  #sign(ts: string): string {
    return createHmac('sha256', this.#key).update(ts).digest('hex').slice(0, 32);
  }

  newNonce(): string {
    const ts = this.now().toString(16);
    return `${ts}.${this.#sign(ts)}`;
  }

  /** The WWW-Authenticate / Proxy-Authenticate value for a 401/407. */
  challenge(stale = false): string {
    return `Digest realm="${this.realm}", nonce="${this.newNonce()}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  verify(authorization: string | undefined, method: string): DigestVerdict {
    if (authorization === undefined || authorization.trim() === '') return { ok: false, reason: 'missing' };
    const p = parseDigestHeader(authorization);
    const username = p?.get('username');
    const nonce = p?.get('nonce');
    const uri = p?.get('uri');
    const response = p?.get('response');
    if (p === undefined || username === undefined || nonce === undefined || uri === undefined || response === undefined) {
      return { ok: false, reason: 'malformed' };
    }
    if (p.get('realm') !== this.realm) return { ok: false, reason: 'wrong-realm' };
    const [ts, sig] = nonce.split('.');
    if (ts === undefined || sig === undefined || sig !== this.#sign(ts)) return { ok: false, reason: 'bad-nonce' };
    const password = this.#users.get(username);
    if (password === undefined) return { ok: false, reason: 'unknown-user' };
    const ha1 = md5(`${username}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${uri}`);
    const qop = p.get('qop');
    const expected =
      qop === undefined
        ? md5(`${ha1}:${nonce}:${ha2}`)
        : md5(`${ha1}:${nonce}:${p.get('nc') ?? ''}:${p.get('cnonce') ?? ''}:${qop}:${ha2}`);
    const a = Buffer.from(expected);
    const b = Buffer.from(response.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: 'wrong-response' };
    // Checked after the response so a correct but old answer is reported as stale, not wrong.
    if (this.now() - parseInt(ts, 16) > this.nonceTtlMs) return { ok: false, reason: 'stale' };
    return { ok: true, username };
  }
}

/** Client side: the Authorization value answering a challenge (used by tests and by registration). */
export function digestResponse(opts: {
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}): string {
  const ha1 = md5(`${opts.username}:${opts.realm}:${opts.password}`);
  const ha2 = md5(`${opts.method}:${opts.uri}`);
  const nc = opts.nc ?? '00000001';
  const cnonce = opts.cnonce ?? randomBytes(8).toString('hex');
  const response =
    opts.qop === undefined ? md5(`${ha1}:${opts.nonce}:${ha2}`) : md5(`${ha1}:${opts.nonce}:${nc}:${cnonce}:${opts.qop}:${ha2}`);
  const qopPart = opts.qop === undefined ? '' : `, qop=${opts.qop}, nc=${nc}, cnonce="${cnonce}"`;
  return `Digest username="${opts.username}", realm="${opts.realm}", nonce="${opts.nonce}", uri="${opts.uri}", response="${response}", algorithm=MD5${qopPart}`;
}
