import { BlockList, isIP } from 'node:net';

/**
 * One spelling per address: an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as a dual-stack
 * server sees IPv4 clients) becomes the IPv4 address, and IPv6 is written out in full lower case
 * (`2001:db8::1` → `2001:0db8:0000:0000:0000:0000:0000:0001`). Anything else is returned as is.
 */
export function normalizeAddress(ip: string): string {
  const groups = ipv6Groups(ip);
  if (!groups) return ip;
  // ::ffff:0:0/96 (mapped) holds an IPv4 address in its last 32 bits.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  }
  return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
}

/**
 * The key of a client in per-address rate limits: its IPv4 address, or its IPv6 prefix of
 * `v6Prefix` bits (an IPv6 client usually holds a whole /64 and could rotate through it).
 */
export function addressBucket(ip: string, v6Prefix = 64): string {
  const n = normalizeAddress(ip);
  const groups = ipv6Groups(n);
  if (!groups) return n;
  const bits = Math.max(0, Math.min(128, v6Prefix));
  const masked = groups.map((g, i) => {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    return keep === 0 ? 0 : g & ((0xffff << (16 - keep)) & 0xffff);
  });
  return `${masked.map((g) => g.toString(16).padStart(4, '0')).join(':')}/${bits}`;
}

/** The eight 16-bit groups of an IPv6 address (with or without an embedded IPv4 tail), else null. */
function ipv6Groups(ip: string): number[] | null {
  if (isIP(ip) !== 6) return null;
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An IPv4 tail (::ffff:1.2.3.4) is two groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail.slice(1).map(Number);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(fill).fill('0'), ...right];
  if (all.length !== 8) return null;
  return all.map((g) => Number.parseInt(g, 16));
}

/**
 * Whether `ip` falls in one of the CIDR ranges (or equals one of the addresses). Empty list: all.
 * The address is normalised first, so `::ffff:10.1.2.3` is `10.1.2.3`.
 */
export function ipAllowed(ip: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const mapped = normalizeAddress(addr);
    // A mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps; a wider one stays IPv6.
    const asV4 = isIP(mapped) === 4 && (isIP(addr) === 4 || bits === undefined || Number(bits) >= 96);
    const a = asV4 ? mapped : addr;
    const family = asV4 ? 'ipv4' : isIP(a) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(a, family);
    else list.addSubnet(a, isIP(addr) === 6 && asV4 ? Number(bits) - 96 : Number(bits), family);
  }
  const v = normalizeAddress(ip);
  const family = isIP(v) === 6 ? 'ipv6' : 'ipv4';
  return isIP(v) !== 0 && list.check(v, family);
}
