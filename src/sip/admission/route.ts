import { normalizeNumber } from '../../config/number-map.js';
import { oneTapPin, type OneTapRules } from '../pin/one-tap.js';
import { mucDomainFor, normalizeRoom, type MucLayout, type RoomTarget } from './room-target.js';

export interface RoutingRules {
  layout: MucLayout;
  roomHeaders: readonly string[];
  roomPasswordHeader: string;
  domainBaseHeaders: readonly string[];
  tenantHeader: string;
  numberMap: Readonly<Record<string, string>>;
  defaultRoom: string | undefined;
  /** True when a conference mapper is configured, so a PIN prompt can find the room. */
  pinPrompt: boolean;
  /** How a PIN carried in the Request-URI is recognised (with pinPrompt); absent: never. */
  oneTap?: OneTapRules;
}

/** The parts of an INVITE that routing looks at. */
export interface RoutableInvite {
  header(name: string): string | undefined;
  /** User part of the request-URI (the dialled number / DID). */
  calledNumber: string | undefined;
  /** The whole request-URI, where a one-tap PIN may ride along. */
  requestUri?: string;
}

export type RouteDecision =
  | { kind: 'room'; target: RoomTarget }
  /** `pin`: the PIN came with the call (one-tap); the prompt is skipped unless it is wrong. */
  | { kind: 'pin'; pin?: string }
  | { kind: 'reject'; status: number; reason: string };

function firstHeader(inv: RoutableInvite, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = inv.header(n);
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/**
 * The routing order: room header → dialled-number map → one-tap PIN in the request-URI →
 * default room → PIN prompt → 404.
 * Throws InvalidRoomError (404) when a header names a room that cannot exist.
 */
export function routeInvite(inv: RoutableInvite, rules: RoutingRules): RouteDecision {
  const password = inv.header(rules.roomPasswordHeader)?.trim() || undefined;
  const base = firstHeader(inv, rules.domainBaseHeaders);
  const tenant = inv.header(rules.tenantHeader)?.trim() || undefined;
  const muc = mucDomainFor(rules.layout, base, tenant);

  const fromHeader = firstHeader(inv, rules.roomHeaders);
  if (fromHeader !== undefined) {
    return { kind: 'room', target: { roomJid: normalizeRoom(fromHeader, muc), password, source: 'header' } };
  }
  if (inv.calledNumber !== undefined) {
    const number = normalizeNumber(inv.calledNumber);
    // Own keys only: a dialled "constructor" or "toString" must not find Object.prototype's.
    const mapped = Object.hasOwn(rules.numberMap, number) ? rules.numberMap[number] : undefined;
    if (mapped !== undefined) {
      return { kind: 'room', target: { roomJid: normalizeRoom(mapped, muc), password, source: 'number-map' } };
    }
  }
  if (rules.pinPrompt && rules.oneTap !== undefined && inv.requestUri !== undefined) {
    const pin = oneTapPin(inv.requestUri, rules.oneTap);
    if (pin !== undefined) return { kind: 'pin', pin };
  }
  if (rules.defaultRoom !== undefined && rules.defaultRoom !== '') {
    return { kind: 'room', target: { roomJid: normalizeRoom(rules.defaultRoom, muc), password, source: 'default-room' } };
  }
  if (rules.pinPrompt) return { kind: 'pin' };
  return { kind: 'reject', status: 404, reason: 'no room given and no default room or PIN prompt configured' };
}
