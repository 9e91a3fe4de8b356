import type { Parsed } from './parse.js';

/**
 * The number map file (SIP_NUMBER_MAP_FILE): which room a dialled number (the request-URI user,
 * a DID) goes to, and optionally the name a known caller's number shows as in the meeting (a
 * PBX's directory). Accepted as JSON or as lines, because PBX admins keep such lists in both forms:
 *
 *   {"+15551230001": "dailystandup", "+4930123456": {"name": "Reception"},
 *    "+4930123457": {"room": "sales", "name": "Sales desk"}}
 *
 *   +15551230001 = dailystandup
 *   +4930123456 = "Reception"            # a name only
 *   +4930123457 = sales "Sales desk"     # a room and a name
 *
 * The plain `number = room` form of earlier versions means what it meant.
 */
export interface NumberDirectory {
  /** Dialled number → room. */
  rooms: Record<string, string>;
  /** Caller number → display name. */
  names: Record<string, string>;
}

/** Names are shown in the meeting: bounded, one line. */
const MAX_NAME_LENGTH = 100;

export function parseNumberDirectory(text: string): Parsed<NumberDirectory> {
  const trimmed = text.trim();
  return trimmed.startsWith('{') ? parseJson(trimmed) : parseLines(text);
}

/** The rooms part only (kept for callers that route by number). */
export function parseNumberMap(text: string): Parsed<Record<string, string>> {
  const p = parseNumberDirectory(text);
  return p.ok ? { ok: true, value: p.value.rooms } : p;
}

function parseJson(text: string): Parsed<NumberDirectory> {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `invalid JSON: ${(err as Error).message}` };
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return { ok: false, problem: 'JSON must be an object of number → room (or {"room", "name"})' };
  }
  const out: NumberDirectory = { rooms: {}, names: {} };
  for (const [k, v] of Object.entries(obj)) {
    const number = normalizeNumber(k);
    if (typeof v === 'string') {
      if (v.trim() === '') return { ok: false, problem: `room for '${k}' must be a non-empty string` };
      out.rooms[number] = v.trim();
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      return { ok: false, problem: `entry for '${k}' must be a room name or an object with "room" and/or "name"` };
    }
    const { room, name } = v as { room?: unknown; name?: unknown };
    if (room !== undefined && (typeof room !== 'string' || room.trim() === '')) return { ok: false, problem: `room for '${k}' must be a non-empty string` };
    if (name !== undefined && (typeof name !== 'string' || cleanName(name) === '')) return { ok: false, problem: `name for '${k}' must be a non-empty string` };
    if (room === undefined && name === undefined) return { ok: false, problem: `entry for '${k}' needs a "room" or a "name"` };
    if (typeof room === 'string') out.rooms[number] = room.trim();
    if (typeof name === 'string') out.names[number] = cleanName(name);
  }
  return { ok: true, value: out };
}

function parseLines(text: string): Parsed<NumberDirectory> {
  const out: NumberDirectory = { rooms: {}, names: {} };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    // A '#' inside the quoted name is part of it; outside, it starts a comment.
    const line = stripComment(lines[i] ?? '').trim();
    if (line === '') continue;
    const m = /^([^=\s]+)\s*=\s*([^\s"]+)?\s*(?:"((?:[^"\\]|\\.)*)")?$/.exec(line);
    const room = m?.[2];
    const name = m?.[3] === undefined ? undefined : cleanName(m[3].replace(/\\(.)/g, '$1'));
    if (m === null || m[1] === undefined || (room === undefined && (name === undefined || name === ''))) {
      return { ok: false, problem: `line ${i + 1}: expected 'number = room', 'number = "Name"' or 'number = room "Name"'` };
    }
    const number = normalizeNumber(m[1]);
    if (room !== undefined) out.rooms[number] = room;
    if (name !== undefined && name !== '') out.names[number] = name;
  }
  return { ok: true, value: out };
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '#' && !quoted) return line.slice(0, i);
  }
  return line;
}

function cleanName(name: string): string {
  return name.replace(/[\r\n\t]+/g, ' ').trim().slice(0, MAX_NAME_LENGTH);
}

/** Numbers compare without visual separators, so "+1 (555) 123-0001" matches "+15551230001". */
export function normalizeNumber(n: string): string {
  return n.replace(/[\s().-]/g, '');
}
