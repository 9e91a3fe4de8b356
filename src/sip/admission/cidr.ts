/** IPv4 CIDR matching for the trusted-networks admission step. */

function toInt(addr: string): number | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export class CidrSet {
  readonly #ranges: Array<{ base: number; mask: number }> = [];

  constructor(cidrs: readonly string[]) {
    for (const c of cidrs) {
      const [addr, bits] = c.split('/');
      const base = addr === undefined ? undefined : toInt(addr);
      const prefix = bits === undefined ? 32 : Number(bits);
      if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
        throw new Error(`invalid CIDR '${c}'`);
      }
      // >>> 0 keeps the arithmetic unsigned; a /0 mask is all zeros.
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      this.#ranges.push({ base: (base & mask) >>> 0, mask });
    }
  }

  get size(): number {
    return this.#ranges.length;
  }

  has(address: string): boolean {
    // IPv4-mapped IPv6 addresses appear when drachtio listens on a dual-stack socket.
    const a = toInt(address.replace(/^::ffff:/i, ''));
    if (a === undefined) return false;
    return this.#ranges.some((r) => ((a & r.mask) >>> 0) === r.base);
  }
}
