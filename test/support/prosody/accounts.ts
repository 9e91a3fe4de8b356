import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { luaString } from './config.js';

/** Prosody's datamanager file-name encoding: every non-alphanumeric byte becomes %xx. */
export function encodeDataName(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9]/.test(c) ? c : `%${b.toString(16).padStart(2, '0')}`;
    })
    .join('');
}

/**
 * Writes an internal_plain account the way Prosody's internal storage keeps it. Prosody reads
 * these files on every authentication, so this works before start and on a running server.
 */
export function writeAccount(dataDir: string, user: string, host: string, password: string): void {
  // Prosody nodepreps usernames and hosts (lowercase) before looking them up.
  const dir = join(dataDir, encodeDataName(host.toLowerCase()), 'accounts');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${encodeDataName(user.toLowerCase())}.dat`);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `return {\n\t["password"] = ${luaString(password)};\n};\n`);
  // Atomic replace so a concurrent login never reads half a file.
  renameSync(tmp, file);
}
