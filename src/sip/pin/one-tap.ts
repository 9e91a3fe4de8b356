/**
 * "One-tap" dial-in: the meeting PIN arrives with the call instead of being typed at the prompt.
 * A phone told to dial `+4930123456,,12345678#` dials the number, waits and sends the digits as
 * DTMF (the PIN prompt takes those: the first digit stops the prompt). Some trunks instead hand
 * the post-dial digits over in the Request-URI, which is what this reads:
 *
 * - `+4930123456,,12345678#` (also with `p`/`w` pauses or `;` in place of the commas),
 * - `+4930123456;postd=pp12345678#` (RFC 3966 post-dial digits, in a tel: URI or a sip: user),
 * - `+493012345612345678`: one of the gateway's own dial-in numbers with the PIN straight after
 *   it; only where the number is known, and only with exactly the PIN's length.
 */
export interface OneTapRules {
  /** The gateway's dial-in numbers as dial strings ('+' and digits), from DIAL_IN_NUMBERS. */
  ownNumbers: readonly string[];
  /** Length of the built-in mapper's PINs; undefined when PINs come from an external mapper. */
  pinDigits: number | undefined;
}

/** The PIN carried by a Request-URI, or undefined when it carries none. */
export function oneTapPin(requestUri: string, rules: OneTapRules): string | undefined {
  const user = userWithParams(requestUri);
  if (user === undefined) return undefined;
  const postd = /;postd=([^;]*)/i.exec(user)?.[1];
  if (postd !== undefined) return pinOf(postd.replace(/[pw]/gi, ''));

  // The pause may itself be ';' (a phone's "wait"), so the whole user part is tried first.
  const separated = /^\+?\d{3,}[,;pw]+(\d+#?)$/i.exec(user.replace(/[\s().-]/g, ''));
  const number = (user.split(';', 1)[0] ?? '').replace(/[\s().-]/g, '');
  const pauses = separated ?? /^\+?\d{3,}[,pw]+(\d+#?)$/i.exec(number);
  if (pauses?.[1] !== undefined) return pinOf(pauses[1]);

  // Digits only: the number with the PIN glued on.
  const glued = /^\+?(\d+)#?$/.exec(number)?.[1];
  if (glued === undefined || rules.pinDigits === undefined) return undefined;
  for (const own of rules.ownNumbers) {
    const ownDigits = own.replace(/^\+/, '');
    if (glued.length === ownDigits.length + rules.pinDigits && glued.startsWith(ownDigits)) return glued.slice(ownDigits.length);
  }
  return undefined;
}

/** A PIN is 4-20 digits; a trailing '#' (the caller's "done") is not part of it. */
function pinOf(digits: string): string | undefined {
  const pin = digits.replace(/#$/, '');
  return /^\d{4,20}$/.test(pin) ? pin : undefined;
}

/** The user part of a sip:/sips: URI with its parameters, or a tel: URI's number with its parameters. */
function userWithParams(uri: string): string | undefined {
  const m = /^tel:(.+)$/i.exec(uri) ?? /^sips?:([^@]+)@/i.exec(uri);
  const raw = m?.[1];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
