import { BlockList, isIP } from 'node:net';

/** Whether `ip` falls in one of the CIDR ranges (or equals one of the addresses). Empty list: all. */
export function ipAllowed(ip: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, family);
    else list.addSubnet(addr, Number(bits), family);
  }
  // IPv4 clients of a dual-stack server appear as ::ffff:a.b.c.d.
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const family = isIP(v4) === 6 ? 'ipv6' : 'ipv4';
  return isIP(v4) !== 0 && list.check(v4, family);
}
