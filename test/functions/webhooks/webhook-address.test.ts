/** Which addresses webhooks are sent to (SSRF): public unicast only, loopback where allowed (docs/webhooks.md). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AddressClass} from '../../../functions/webhooks/webhook-address.js';
import { classifyAddress, isAllowedAddress } from '../../../functions/webhooks/webhook-address.js';

const v4 = (a: number, b: number, c: number, d: number) => `${a}.${b}.${c}.${d}`;
const octet = fc.integer({ min: 0, max: 255 });

/** An IPv4 address as a u32, and its class by the registry's ranges (an independent statement of them). */
function expectedV4(n: number): AddressClass {
  const [a, b] = [n >>> 24, (n >>> 16) & 0xff];
  const c = (n >>> 8) & 0xff;
  if (a === 0) return 'unspecified';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return n === ((100 << 24) | (100 << 16) | (100 << 8) | 200) >>> 0 ? 'metadata' : 'cgnat';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return [0xa9fea9fe, 0xa9feaa02, 0xa9fea9fd].includes(n) ? 'metadata' : 'link-local';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return n === 0xc00000c0 ? 'metadata' : 'reserved';
  if ((a === 192 && b === 88 && c === 99) || (a === 198 && (b === 18 || b === 19)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'reserved';
  return 'public';
}

const u32ToV4 = (n: number) => v4(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

describe('address classifier', () => {
  it('classifies named IPv4 addresses', () => {
    const cases: [string, AddressClass][] = [
      ['8.8.8.8', 'public'],
      ['1.1.1.1', 'public'],
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['172.32.0.1', 'public'],
      ['192.168.1.1', 'private'],
      ['169.254.1.1', 'link-local'],
      ['169.254.169.254', 'metadata'],
      ['169.254.170.2', 'metadata'],
      ['100.64.0.1', 'cgnat'],
      ['100.127.255.255', 'cgnat'],
      ['100.128.0.1', 'public'],
      ['100.100.100.200', 'metadata'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['192.0.2.1', 'reserved'],
      ['198.18.0.1', 'reserved'],
    ];
    for (const [address, cls] of cases) expect(classifyAddress(address), address).toBe(cls);
  });

  it('classifies named IPv6 addresses, judging those that carry an IPv4 address by it', () => {
    const cases: [string, AddressClass][] = [
      ['2606:4700:4700::1111', 'public'],
      ['2001:4860:4860::8888', 'public'],
      ['::1', 'loopback'],
      ['[::1]', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['fc00::1', 'private'],
      ['fd12:3456::1', 'private'],
      ['fec0::1', 'private'],
      ['fd00:ec2::254', 'metadata'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'metadata'],
      ['::ffff:10.1.2.3', 'private'],
      ['::ffff:8.8.8.8', 'public'],
      ['::ffff:0:10.0.0.1', 'private'],
      ['64:ff9b::10.0.0.1', 'private'],
      ['64:ff9b::8.8.8.8', 'public'],
      ['2002:0a00:0001::1', 'private'],
      ['2002:0808:0808::1', 'public'],
      ['::10.0.0.1', 'reserved'],
      ['2001:db8::1', 'reserved'],
      ['2001::1', 'reserved'],
      ['100::1', 'reserved'],
      ['4000::1', 'reserved'],
    ];
    for (const [address, cls] of cases) expect(classifyAddress(address), address).toBe(cls);
  });

  it('agrees with the IPv4 registry ranges over any address, dotted or IPv4-mapped IPv6', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const expected = expectedV4(n);
        expect(classifyAddress(u32ToV4(n))).toBe(expected);
        expect(classifyAddress(`::ffff:${u32ToV4(n)}`)).toBe(expected);
        const hi = (n >>> 16).toString(16);
        const lo = (n & 0xffff).toString(16);
        expect(classifyAddress(`::ffff:${hi}:${lo}`)).toBe(expected);
        expect(classifyAddress(`64:ff9b::${u32ToV4(n)}`)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    // Every range's edges, where off-by-one mistakes live.
    for (const [a, b] of [[10, 0], [100, 64], [100, 127], [172, 16], [172, 31], [169, 254], [192, 168], [198, 18], [198, 19]] as const) {
      for (const [c, d] of [[0, 0], [255, 255]] as const) {
        const n = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
        expect(classifyAddress(u32ToV4(n))).toBe(expectedV4(n));
      }
    }
  });

  it('allows only public addresses, and loopback only when told', () => {
    fc.assert(
      fc.property(octet, octet, octet, octet, fc.boolean(), (a, b, c, d, loopback) => {
        const address = v4(a, b, c, d);
        const cls = classifyAddress(address);
        expect(isAllowedAddress(address, loopback)).toBe(cls === 'public' || (loopback && cls === 'loopback'));
      }),
    );
    expect(isAllowedAddress('127.0.0.1', false)).toBe(false);
    expect(isAllowedAddress('127.0.0.1', true)).toBe(true);
    expect(isAllowedAddress('::1', true)).toBe(true);
    expect(isAllowedAddress('::ffff:127.0.0.1', true)).toBe(true);
    expect(isAllowedAddress('10.0.0.1', true)).toBe(false);
    expect(isAllowedAddress('169.254.169.254', true)).toBe(false);
  });

  it('never calls a non-global IPv6 address public, and never throws on any string', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const cls = classifyAddress(address);
        if (cls === 'public') {
          // Public IPv6 is global unicast 2000::/3 (or a form carrying a public IPv4 address).
          expect(/^[23]|^::ffff:|^64:ff9b:/i.test(address) || address.startsWith('::')).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(fc.property(fc.string(), (s) => void classifyAddress(s)));
    for (const bad of ['', 'localhost', '1.2.3', '1.2.3.4.5', '256.1.1.1', 'example.com', '::ffff:1.2.3.256', '[]']) expect(classifyAddress(bad)).toBe('invalid');
  });
});
