import { createHash } from 'node:crypto';

/** HTTP digest (RFC 2617, MD5) as SIP registrars and trunks use it, for challenging srf and checking its answer. */

export function digestChallenge(opts: { realm: string; nonce: string; qop?: string; opaque?: string }): string {
  const parts = [`realm="${opts.realm}"`, `nonce="${opts.nonce}"`, 'algorithm=MD5'];
  if (opts.qop) parts.push(`qop="${opts.qop}"`);
  if (opts.opaque) parts.push(`opaque="${opts.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

/** The parameters of a `Digest a="b", c=d` header, unquoted. */
export function parseDigest(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = header.replace(/^\s*digest\s+/i, '');
  const re = /([A-Za-z0-9-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    if (m[1]) out[m[1].toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return out;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** RFC 2617 MD5 digest response (with or without qop=auth). */
export function digestResponse(p: {
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
  const ha1 = md5(`${p.username}:${p.realm}:${p.password}`);
  const ha2 = md5(`${p.method}:${p.uri}`);
  return p.qop ? md5(`${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
}
