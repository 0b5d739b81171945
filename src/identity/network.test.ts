import { describe, expect, it } from 'vitest';
import { addressBucket, ipAllowed, normalizeAddress } from './network.js';

describe('client addresses', () => {
  it('have one spelling: mapped IPv4 is IPv4, IPv6 is written out in lower case', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::FFFF:7f00:1')).toBe('127.0.0.1');
    expect(normalizeAddress('127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('2001:DB8::1')).toBe('2001:0db8:0000:0000:0000:0000:0000:0001');
    expect(normalizeAddress('::1')).toBe('0000:0000:0000:0000:0000:0000:0000:0001');
  });

  it('are bucketed by IPv4 address or IPv6 prefix', () => {
    expect(addressBucket('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressBucket('2001:db8:1:2::1')).toBe(addressBucket('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressBucket('2001:db8:1:2::1')).not.toBe(addressBucket('2001:db8:1:3::1'));
    expect(addressBucket('2001:db8:1:2::1', 48)).toBe(addressBucket('2001:db8:1:3::1', 48));
    expect(addressBucket('2001:db8:1:2::1', 128)).not.toBe(addressBucket('2001:db8:1:2::2', 128));
  });

  it('are checked against allowlists in any spelling, and no list entry breaks the check', () => {
    expect(ipAllowed('::ffff:10.1.2.3', ['10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('10.1.2.3', ['::ffff:10.0.0.0/104'])).toBe(true);
    expect(ipAllowed('10.1.2.3', ['2001:db8::/32'])).toBe(false);
    expect(() => ipAllowed('10.1.2.3', ['::ffff:0:0/8'])).not.toThrow();
    expect(ipAllowed('2001:db8::5', ['2001:db8::/32'])).toBe(true);
    expect(ipAllowed('11.0.0.1', ['10.0.0.0/8'])).toBe(false);
  });
});
