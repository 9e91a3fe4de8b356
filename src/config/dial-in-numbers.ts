import type { Parsed } from './parse.js';

/** One dial-in number as Jitsi Meet's invite dialog shows it (its phoneNumberList entry). */
export interface DialInNumber {
  /** ISO 3166 country code, upper case (Jitsi Meet picks the flag and groups by it). */
  countryCode: string;
  /** As shown to people, e.g. "+49 30 1234567". */
  formattedNumber: string;
  tollFree: boolean;
}

/**
 * DIAL_IN_NUMBERS: `DE:+49 30 1234567, US:+1 555 010 0100:tollfree`, or the JSON array Jitsi Meet
 * reads (`[{"countryCode":"DE","formattedNumber":"+49 30 1234567","tollFree":false}]`), so an
 * operator moving from a hand-written phoneNumberList file can paste it as it is.
 */
export function parseDialInNumbers(raw: string): Parsed<DialInNumber[]> {
  const text = raw.trim();
  if (text === '') return { ok: true, value: [] };
  return text.startsWith('[') ? fromJson(text) : fromList(text);
}

function fromList(text: string): Parsed<DialInNumber[]> {
  const out: DialInNumber[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const parts = item.split(':').map((s) => s.trim());
    const [cc, number, flag] = parts;
    if (parts.length > 3 || cc === undefined || number === undefined) return bad(item, 'expected COUNTRY:NUMBER or COUNTRY:NUMBER:tollfree');
    if (flag !== undefined && flag.toLowerCase() !== 'tollfree') return bad(item, `'${flag}' is not 'tollfree'`);
    const entry = checked(cc, number, flag !== undefined);
    if (typeof entry === 'string') return bad(item, entry);
    out.push(entry);
  }
  return { ok: true, value: out };
}

function fromJson(text: string): Parsed<DialInNumber[]> {
  let arr: unknown;
  try {
    arr = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `invalid JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(arr)) return { ok: false, problem: 'JSON must be an array' };
  const out: DialInNumber[] = [];
  for (const [i, e] of arr.entries()) {
    const o = (e ?? {}) as Record<string, unknown>;
    const { countryCode, formattedNumber, tollFree } = o;
    if (typeof countryCode !== 'string' || typeof formattedNumber !== 'string' || (tollFree !== undefined && typeof tollFree !== 'boolean')) {
      return { ok: false, problem: `entry ${i}: needs countryCode and formattedNumber strings (and tollFree a boolean)` };
    }
    const entry = checked(countryCode, formattedNumber, tollFree === true);
    if (typeof entry === 'string') return { ok: false, problem: `entry ${i}: ${entry}` };
    out.push(entry);
  }
  return { ok: true, value: out };
}

/** The entry, or what is wrong with it. */
function checked(cc: string, number: string, tollFree: boolean): DialInNumber | string {
  if (!/^[A-Za-z]{2}$/.test(cc)) return `'${cc}' is not a two-letter country code`;
  // A phone number people can dial: digits with the usual visual separators, optionally '+' first.
  if (!/^\+?[0-9][0-9 ().\-/]*$/.test(number) || dialString(number).length < 3) return `'${number}' is not a phone number`;
  return { countryCode: cc.toUpperCase(), formattedNumber: number, tollFree };
}

/** The number as a phone dials it: '+' and digits only ("+49 30 123" → "+4930123"). */
export function dialString(formattedNumber: string): string {
  return formattedNumber.replace(/[^0-9+]/g, '');
}

function bad(item: string, why: string): Parsed<DialInNumber[]> {
  return { ok: false, problem: `'${item}': ${why}` };
}
