import { randomUUID } from 'node:crypto';

/**
 * Bodies of SIP INFO requests the gateway understands and sends: DTMF (application/dtmf-relay,
 * application/dtmf) and jigasi's JSON protocol (application/json) that IVRs in front of jigasi
 * speak.
 */

export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

export interface DtmfInfo {
  digit: DtmfDigit;
  /** Tone length in ms when the sender said (dtmf-relay `Duration=`). */
  durationMs: number | undefined;
}

/** RFC 4733 event codes 10-15 are `*`, `#`, A-D; some devices send those numbers instead of the symbols. */
const EVENT_DIGITS: readonly DtmfDigit[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/** A digit written as a symbol or as its RFC 4733 event number; undefined for anything else. */
export function toDtmfDigit(value: string): DtmfDigit | undefined {
  const v = value.trim().toUpperCase();
  if (/^\d{1,2}$/.test(v)) return EVENT_DIGITS[Number(v)];
  return EVENT_DIGITS.find((d) => d === v);
}

/** `Signal=5\r\nDuration=160` (keys case-insensitive, spaces tolerated). */
export function parseDtmfRelay(body: string): DtmfInfo | undefined {
  let signal: string | undefined;
  let duration: number | undefined;
  for (const line of body.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const key = m[1].toLowerCase();
    if (key === 'signal') signal = m[2];
    else if (key === 'duration' && /^\d+$/.test(m[2])) duration = Number(m[2]);
  }
  const digit = signal === undefined ? undefined : toDtmfDigit(signal);
  return digit === undefined ? undefined : { digit, durationMs: duration };
}

/** application/dtmf: the body is the digit itself. */
export function parseDtmfBody(body: string): DtmfInfo | undefined {
  const digit = toDtmfDigit(body);
  return digit === undefined ? undefined : { digit, durationMs: undefined };
}

export function dtmfRelayBody(digit: DtmfDigit, durationMs = 160): string {
  return `Signal=${digit}\r\nDuration=${Math.max(1, Math.round(durationMs))}\r\n`;
}

/** jigasi's SIP INFO message types (field `t`). */
export const JigasiInfoType = {
  lobbyJoined: 3,
  requestRoomAccess: 4,
  lobbyLeft: 5,
  lobbyAllowedJoin: 6,
  lobbyRejectedJoin: 7,
  avModerationEnabled: 8,
  avModerationApproved: 9,
  avModerationDenied: 10,
  heartbeat: 11,
  visitor: 12,
  conferenceIsLive: 15,
} as const;

/** `{i, t, d}`: jigasi numbers some messages (i) and not others. */
export interface JigasiProtocolMessage {
  kind: 'protocol';
  t: number;
  i: number | undefined;
  d: unknown;
}

/** `{type: 'muteRequest' | 'muteResponse', id, data: {audio}, status?}`. */
export interface MuteMessage {
  kind: 'mute';
  type: 'muteRequest' | 'muteResponse';
  id: string | undefined;
  /** What the sender asks for (request) or reports (response); undefined when not given. */
  audioMuted: boolean | undefined;
  /** muteResponse only: 'OK' or 'FAILED'. */
  status: string | undefined;
}

export type JsonInfoMessage = JigasiProtocolMessage | MuteMessage;

export type JsonInfoParse =
  | { ok: true; message: JsonInfoMessage | undefined }
  | { ok: false; error: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Parses a JSON INFO body. Well-formed JSON of an unknown shape is `ok` with no message (still
 * answered 200, as jigasi does); malformed JSON is an error (answered 400).
 */
export function parseJsonInfo(body: string): JsonInfoParse {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return { ok: false, error: `malformed JSON: ${(err as Error).message}` };
  }
  if (!isRecord(value)) return { ok: true, message: undefined };
  if (value.type === 'muteRequest' || value.type === 'muteResponse') {
    const data = isRecord(value.data) ? value.data : {};
    return {
      ok: true,
      message: {
        kind: 'mute',
        type: value.type,
        id: typeof value.id === 'string' || typeof value.id === 'number' ? String(value.id) : undefined,
        audioMuted: typeof data.audio === 'boolean' ? data.audio : undefined,
        status: typeof value.status === 'string' ? value.status : undefined,
      },
    };
  }
  if (typeof value.t === 'number' && Number.isInteger(value.t)) {
    return {
      ok: true,
      message: { kind: 'protocol', t: value.t, i: typeof value.i === 'number' ? value.i : undefined, d: value.d },
    };
  }
  return { ok: true, message: undefined };
}

/** The wire object for a message we send (the `kind` discriminator is ours, not jigasi's). */
export function jsonInfoBody(message: JsonInfoMessage): string {
  if (message.kind === 'protocol') {
    const obj: Record<string, unknown> = { t: message.t };
    if (message.i !== undefined) obj.i = message.i;
    if (message.d !== undefined) obj.d = message.d;
    return JSON.stringify(obj);
  }
  const obj: Record<string, unknown> = { type: message.type, id: message.id ?? randomUUID(), data: { audio: message.audioMuted ?? false } };
  if (message.status !== undefined) obj.status = message.status;
  return JSON.stringify(obj);
}
