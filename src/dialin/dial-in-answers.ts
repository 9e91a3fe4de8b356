/**
 * What the dial-in endpoints answer, in the shapes Jitsi Meet reads (react/features/invite):
 * the conference mapper's `{message, id, conference}` (it shows `id` when `conference` and `id`
 * are truthy, else rejects with `message`), and the phone number list either as the array of
 * `{countryCode, tollFree, formattedNumber}` Jitsi Meet prefers, or as the older
 * `{message, numbers: {COUNTRY: [number]}, numbersEnabled}` that it still reads.
 */
import { dialString, type DialInNumber } from '../config/dial-in-numbers.js';

export type { NumbersFormat } from '../config/types.js';
import type { NumbersFormat } from '../config/types.js';

export interface ConferenceMapperAnswer {
  message: string;
  /** A number, as Jitsi's API documents it; PINs never start with 0 so nothing is lost. */
  id: number;
  conference: string;
}

export interface LegacyNumbersAnswer {
  message: string;
  numbers: Record<string, string[]>;
  numbersEnabled: boolean;
}

export type PhoneNumberListAnswer = DialInNumber[] | LegacyNumbersAnswer;

/** The error body: JSON (Jitsi Meet parses every answer) with the status it may look at. */
export interface ErrorAnswer {
  message: string;
  status: number;
}

export function mapperAnswer(conference: string, pin: string): ConferenceMapperAnswer {
  return { message: 'Successfully retrieved conference mapping', id: Number(pin), conference };
}

export function numbersAnswer(numbers: readonly DialInNumber[], format: NumbersFormat): PhoneNumberListAnswer {
  if (format === 'array') return numbers.map((n) => ({ countryCode: n.countryCode, tollFree: n.tollFree, formattedNumber: n.formattedNumber }));
  const byCountry: Record<string, string[]> = {};
  for (const n of numbers) (byCountry[n.countryCode] ??= []).push(n.formattedNumber);
  return {
    message: numbers.length > 0 ? 'Phone numbers available.' : 'No dial-in numbers configured.',
    numbers: byCountry,
    numbersEnabled: numbers.length > 0,
  };
}

/** "+49 30 1234567" and PIN 12345678 → "+49301234567,,12345678#": a phone dials, waits, types. */
export function oneTapString(n: DialInNumber, pin: string): string {
  return `${dialString(n.formattedNumber)},,${pin}#`;
}

/** The PIN as people read it aloud: groups of 3-4 digits ("1234 5678", "123 456 789"). */
export function spokenPin(pin: string): string {
  const groups = pin.length % 4 === 0 ? 4 : 3;
  return pin.replace(new RegExp(`(\\d{${groups}})(?=\\d)`, 'g'), '$1 ');
}

/** The plain-text block for a calendar invite template. */
export function dialInInfoText(conference: string, pin: string, numbers: readonly DialInNumber[]): string {
  const room = displayRoom(conference.slice(0, conference.lastIndexOf('@')));
  const lines = [`Join ${room} by phone`, ''];
  if (numbers.length === 0) {
    lines.push('No dial-in numbers are configured.');
  } else {
    lines.push('Dial one of these numbers:');
    for (const n of numbers) lines.push(`  ${n.countryCode}  ${n.formattedNumber}${n.tollFree ? ' (toll-free)' : ''}`);
  }
  lines.push('', `Then enter the meeting PIN: ${spokenPin(pin)} #`);
  if (numbers.length > 0) {
    lines.push('', 'One tap on a mobile phone (dials and enters the PIN):');
    for (const n of numbers) lines.push(`  ${n.countryCode}  ${oneTapString(n, pin)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Jitsi Meet percent-encodes room names for the backend ("caf%c3%a9"); people read "café". */
function displayRoom(node: string): string {
  try {
    return decodeURIComponent(node);
  } catch {
    return node;
  }
}
