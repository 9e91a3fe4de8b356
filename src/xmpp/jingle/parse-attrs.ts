import type { Element } from '@xmpp/xml';
import { JingleParseError } from './errors.js';

/** An attribute as a string, or undefined when absent (ltx types attrs as `any`). */
export function attr(el: Element, name: string): string | undefined {
  const v: unknown = el.attrs[name];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

export function requireAttr(el: Element, name: string, where: string): string {
  const v = attr(el, name);
  if (v === undefined || v === '') throw new JingleParseError(`${where}: missing '${name}' attribute`);
  return v;
}

const DIGITS = /^\d+$/;

/**
 * A non-negative integer no larger than `max`. Only plain decimal digits are accepted: Number()
 * alone would take '', '0x10', '1e3' or ' 7'.
 */
export function parseUint(raw: string, max: number, what: string): number {
  const s = raw.trim();
  if (!DIGITS.test(s)) throw new JingleParseError(`${what}: '${raw}' is not a non-negative integer`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n > max) throw new JingleParseError(`${what}: ${raw} is out of range (max ${max})`);
  return n;
}

export const MAX_UINT32 = 0xffff_ffff;

export function requireUint(el: Element, name: string, max: number, where: string): number {
  return parseUint(requireAttr(el, name, where), max, `${where} ${name}`);
}

export function optionalUint(el: Element, name: string, max: number, where: string): number | undefined {
  const v = attr(el, name);
  return v === undefined || v === '' ? undefined : parseUint(v, max, `${where} ${name}`);
}

export function optionalBool(el: Element, name: string): boolean | undefined {
  const v = attr(el, name);
  if (v === undefined) return undefined;
  return v === 'true' || v === '1';
}

/** One of `allowed`, `fallback` when absent; anything else is a bad request. */
export function enumAttr<T extends string>(
  el: Element,
  name: string,
  allowed: readonly T[],
  fallback: T,
  where: string,
): T {
  const v = attr(el, name);
  if (v === undefined || v === '') return fallback;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new JingleParseError(`${where}: ${name}='${v}' is not one of ${allowed.join(', ')}`);
}
