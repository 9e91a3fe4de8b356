import { randomInt } from 'node:crypto';

/**
 * A random PIN of exactly `digits` digits, never starting with 0: Jitsi Meet's conference mapper
 * API types the id as a number, so a leading zero would be lost between the invite and the phone.
 * crypto's generator, because a predictable sequence would let one PIN reveal the next meeting's.
 */
export function randomPin(digits: number): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 15) throw new RangeError('digits must be 1..15');
  return String(randomInt(10 ** (digits - 1), 10 ** digits));
}
