import { normalizeNumber } from '../config/number-map.js';
import { parseNameAddr, splitHeaderList, type NameAddr } from './sip-headers.js';

/** Where the shown identity came from (for logs and tests). */
export type IdentitySource = 'p-asserted-identity' | 'remote-party-id' | 'from';

/** Who the meeting is told is calling. */
export interface CallerIdentity {
  /** What the meeting shows; 'Anonymous' for a withheld identity. */
  displayName: string | undefined;
  /** The caller's number or extension; undefined when withheld or unknown. */
  number: string | undefined;
  /** The URI the identity came from; undefined when withheld. */
  uri: string | undefined;
  /** The caller asked for privacy (RFC 3325 `Privacy: id`, RPID privacy=full, an anonymous From). */
  anonymous: boolean;
  source: IdentitySource;
}

export const ANONYMOUS_NAME = 'Anonymous';

/** Number → name, e.g. a PBX's directory from SIP_NUMBER_MAP_FILE. */
export type CallerNames = Readonly<Record<string, string>>;

type HeaderReader = (name: string) => string | undefined;

/** RFC 3323/3325 privacy values that withhold who is calling (`none`, `session` do not). */
const PRIVATE_VALUES = new Set(['id', 'user', 'header']);

/**
 * The caller's name and number, from P-Asserted-Identity (what a trusted trunk vouches for),
 * else Remote-Party-ID (its older, still common cousin), else From. Each of name and number is
 * taken from the first header that has it. A caller who asked for privacy shows as Anonymous,
 * without a number; otherwise a name from `names` (a directory) replaces the signalled one.
 */
export function callerIdentity(header: HeaderReader, names: CallerNames = {}): CallerIdentity {
  const pai = firstIdentity(header('P-Asserted-Identity'));
  const rpid = remotePartyId(header('Remote-Party-ID'));
  const from = parseNameAddr(header('From') ?? '');
  const candidates: Array<{ addr: NameAddr; source: IdentitySource }> = [];
  if (pai !== undefined) candidates.push({ addr: pai, source: 'p-asserted-identity' });
  if (rpid !== undefined) candidates.push({ addr: rpid.addr, source: 'remote-party-id' });
  candidates.push({ addr: from, source: 'from' });
  const first = candidates[0]!;

  const privacy = (header('Privacy') ?? '')
    .split(/[;,]/)
    .map((v) => v.trim().toLowerCase());
  // An anonymous From is the caller's own wish even when a trunk asserts the number behind it.
  const anonymous = privacy.some((v) => PRIVATE_VALUES.has(v)) || rpid?.privacy === 'full' || isAnonymous(first.addr) || isAnonymous(from);
  if (anonymous) return { displayName: ANONYMOUS_NAME, number: undefined, uri: undefined, anonymous: true, source: first.source };

  // RPID's privacy=name withholds the name, privacy=uri the number; rare, but honoured.
  const number = candidates.map((c) => c.addr.user).find((u) => u !== undefined && u !== '');
  const shownNumber = rpid?.privacy === 'uri' ? undefined : number;
  let displayName = rpid?.privacy === 'name' ? undefined : candidates.map((c) => c.addr.displayName).find((n) => n !== undefined);
  if (shownNumber !== undefined) {
    const key = normalizeNumber(shownNumber);
    if (Object.hasOwn(names, key)) displayName = names[key];
  }
  return { displayName, number: shownNumber, uri: first.addr.uri, anonymous: false, source: first.source };
}

/** RFC 3325 allows one sip/sips and one tel identity, in one header or two (srf joins them with commas). */
function firstIdentity(value: string | undefined): NameAddr | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const parts = splitHeaderList(value).map(parseNameAddr).filter((a) => /^(sips?|tel):/i.test(a.uri));
  // A tel: URI is the number itself; a sip: one may carry an extension or a name as its user.
  const withName = parts.find((p) => p.displayName !== undefined);
  const tel = parts.find((p) => /^tel:/i.test(p.uri));
  const chosen = parts[0];
  if (chosen === undefined) return undefined;
  return { ...chosen, displayName: withName?.displayName, user: tel?.user ?? chosen.user };
}

function remotePartyId(value: string | undefined): { addr: NameAddr; privacy: string | undefined } | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  for (const part of splitHeaderList(value)) {
    const addr = parseNameAddr(part);
    if (!/^(sips?|tel):/i.test(addr.uri)) continue;
    const params = paramsAfterUri(part);
    // party=called describes the callee (a diverted call's RPID can carry both).
    if ((params.get('party') ?? 'calling') !== 'calling') continue;
    return { addr, privacy: params.get('privacy')?.toLowerCase() };
  }
  return undefined;
}

/** The header parameters after a name-addr's `>`. */
function paramsAfterUri(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const gt = value.lastIndexOf('>');
  const tail = gt >= 0 ? value.slice(gt + 1) : value.slice(value.indexOf(';'));
  for (const p of tail.split(';')) {
    const [k, v] = p.split('=');
    if (k !== undefined && k.trim() !== '') out.set(k.trim().toLowerCase(), (v ?? '').trim().replace(/^"|"$/g, ''));
  }
  return out;
}

/** RFC 3261 §8.1.1.3's anonymous From, and the common variants of it. */
function isAnonymous(addr: NameAddr): boolean {
  if (addr.displayName?.trim().toLowerCase() === 'anonymous') return true;
  if (/@anonymous\.invalid$/i.test(addr.uri.split(';')[0] ?? '')) return true;
  return addr.user?.toLowerCase() === 'anonymous';
}
