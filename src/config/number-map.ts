import type { Parsed } from './parse.js';

/**
 * The number-to-room map: which room a dialled number (the request-URI user, a DID) goes to.
 * Accepted as JSON (`{"+15551230001": "dailystandup"}`) or as lines `number = room` with `#`
 * comments, because PBX admins keep such lists in both forms.
 */
export function parseNumberMap(text: string): Parsed<Record<string, string>> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch (err) {
      return { ok: false, problem: `invalid JSON: ${(err as Error).message}` };
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return { ok: false, problem: 'JSON must be an object of number → room' };
    }
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v !== 'string' || v.trim() === '') return { ok: false, problem: `room for '${k}' must be a non-empty string` };
      out[normalizeNumber(k)] = v.trim();
    }
    return { ok: true, value: out };
  }
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/#.*/, '').trim();
    if (line === '') continue;
    const m = /^([^=\s]+)\s*=\s*(\S+)$/.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) {
      return { ok: false, problem: `line ${i + 1}: expected 'number = room'` };
    }
    out[normalizeNumber(m[1])] = m[2];
  }
  return { ok: true, value: out };
}

/** Numbers compare without visual separators, so "+1 (555) 123-0001" matches "+15551230001". */
export function normalizeNumber(n: string): string {
  return n.replace(/[\s().-]/g, '');
}
