/**
 * One query parameter of a request URL, read the way Jitsi Meet writes it. Jitsi Meet builds
 * `?conference=${room}@${muc}` by concatenation, with the room already in its backend form
 * (lower case, percent-encoded: "caf%c3%a9"), and that form is the real XMPP room name, so a
 * value that contains a literal '@' is taken as it is. A value without one was encoded by its
 * client as a whole (`%40` for '@') and is decoded once.
 */
export function queryParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const query = url.slice(q + 1).split('#', 1)[0] ?? '';
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key !== name) continue;
    const raw = eq < 0 ? '' : part.slice(eq + 1);
    if (raw.includes('@')) return raw;
    try {
      return decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return raw;
    }
  }
  return undefined;
}
