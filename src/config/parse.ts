/**
 * Value parsers for configuration fields. Each returns either a value or a problem string, so the
 * loader can report every bad field at once instead of stopping at the first.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

export function parseString(raw: string): Parsed<string> {
  return ok(raw.trim());
}

export function parseInteger(raw: string, min: number, max: number): Parsed<number> {
  const s = raw.trim();
  if (!/^-?\d+$/.test(s)) return bad(`'${raw}' is not a whole number`);
  const n = Number(s);
  if (n < min || n > max) return bad(`${n} is out of range ${min}..${max}`);
  return ok(n);
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

export function parseBoolean(raw: string): Parsed<boolean> {
  const s = raw.trim().toLowerCase();
  if (TRUE.has(s)) return ok(true);
  if (FALSE.has(s)) return ok(false);
  return bad(`'${raw}' is not a boolean (use true/false, 1/0)`);
}

export function parseEnum<T extends string>(raw: string, allowed: readonly T[]): Parsed<T> {
  const s = raw.trim().toLowerCase();
  const hit = allowed.find((a) => a.toLowerCase() === s);
  return hit === undefined ? bad(`'${raw}' is not one of ${allowed.join(', ')}`) : ok(hit);
}

export function parseList(raw: string): Parsed<string[]> {
  return ok(
    raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

/** A CIDR list such as "10.0.0.0/8, 192.0.2.7"; a bare address means /32. */
export function parseCidrList(raw: string): Parsed<string[]> {
  const items = parseList(raw);
  if (!items.ok) return items;
  const wrong: string[] = [];
  const out: string[] = [];
  for (const item of items.value) {
    const [addr, bits] = item.split('/');
    const prefix = bits === undefined ? 32 : Number(bits);
    if (addr === undefined || !isIpv4(addr) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
      wrong.push(item);
    } else {
      out.push(`${addr}/${prefix}`);
    }
  }
  return wrong.length > 0 ? bad(`not IPv4 CIDR: ${wrong.join(', ')}`) : ok(out);
}

/** "alice:secret,bob:pw" → credentials; the password may contain ':'. */
export function parseUserList(raw: string): Parsed<Array<{ username: string; password: string }>> {
  const items = parseList(raw);
  if (!items.ok) return items;
  const out: Array<{ username: string; password: string }> = [];
  for (const item of items.value) {
    const i = item.indexOf(':');
    if (i <= 0 || i === item.length - 1) return bad('entries must look like user:password');
    out.push({ username: item.slice(0, i), password: item.slice(i + 1) });
  }
  return ok(out);
}

export function parseHttpUrl(raw: string): Parsed<string> {
  try {
    const u = new URL(raw.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return bad(`'${raw}' is not an http(s) URL`);
    return ok(u.toString());
  } catch {
    return bad(`'${raw}' is not a URL`);
  }
}

export function parseSipUri(raw: string): Parsed<string> {
  const s = raw.trim();
  return /^sips?:[^@\s]+@[^\s]+$/i.test(s) ? ok(s) : bad(`'${raw}' is not a SIP URI like sip:user@host`);
}
