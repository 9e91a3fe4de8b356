import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an Authorization header carries `expected` as its bearer token. Both sides are hashed
 * first, so the comparison takes the same time whatever the token's length or content.
 */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  const given = digest(token ?? '');
  const matches = timingSafeEqual(given, digest(expected));
  return token !== undefined && matches;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
