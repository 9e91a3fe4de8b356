import type { Parsed } from './parse.js';

/**
 * SIP_REFER_POLICY: whether a phone may transfer its call (REFER) and where to. `deny` refuses
 * every REFER with 403; `allow` takes any target; anything else is a regular expression that
 * must match the whole Refer-To URI (without angle brackets and without its ?headers part).
 */
export type ReferPolicy = { kind: 'deny' } | { kind: 'allow' } | { kind: 'pattern'; pattern: RegExp };

export function parseReferPolicy(raw: string): Parsed<ReferPolicy> {
  const s = raw.trim();
  const word = s.toLowerCase();
  if (word === '' || word === 'deny') return { ok: true, value: { kind: 'deny' } };
  if (word === 'allow') return { ok: true, value: { kind: 'allow' } };
  try {
    // Anchored: a pattern for one PBX must not also allow a URI that merely contains it.
    return { ok: true, value: { kind: 'pattern', pattern: new RegExp(`^(?:${s})$`, 'i') } };
  } catch (err) {
    return { ok: false, problem: `neither deny, allow nor a regular expression: ${(err as Error).message}` };
  }
}

/** Whether `uri` (a Refer-To URI, headers removed) may be called. */
export function referAllowed(policy: ReferPolicy, uri: string): boolean {
  switch (policy.kind) {
    case 'deny':
      return false;
    case 'allow':
      return true;
    case 'pattern':
      return policy.pattern.test(uri);
  }
}
