/** IPv4 CIDR arithmetic for choosing data subnets inside a VPC. */

export interface Cidr {
  /** Network address as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const addr = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((addr & mask) >>> 0 !== addr) return undefined; // host bits set: not a network address
  return { base: addr, prefix };
}

export function formatCidr(c: Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

const size = (c: Cidr) => 2 ** (32 - c.prefix);

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    inner.base >= outer.base &&
    inner.base + size(inner) <= outer.base + size(outer)
  );
}

/**
 * Free blocks of the given prefix inside the VPC's CIDRs, from the top of each range down: the
 * OpenShift installer allocates its subnets from the bottom, so the top is where space stays free.
 */
export function* freeBlocks(vpc: Cidr[], used: Cidr[], prefix: number): Generator<Cidr> {
  for (const range of vpc) {
    if (prefix < range.prefix) continue;
    const step = 2 ** (32 - prefix);
    for (let base = range.base + size(range) - step; base >= range.base; base -= step) {
      const c = { base, prefix };
      if (!used.some((u) => overlaps(u, c))) yield c;
    }
  }
}
