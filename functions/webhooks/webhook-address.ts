/**
 * Which IP addresses a webhook may be sent to (docs/webhooks.md, "Which
 * URLs are refused"): only public unicast addresses, so a webhook cannot be
 * aimed at the node's own network, a cloud metadata service or anything
 * else behind it (server-side request forgery). Loopback is allowed only
 * where the deployment says so (the embedded one). IPv4-mapped and other
 * IPv6 forms that carry an IPv4 address (NAT64, 6to4) are judged by the
 * IPv4 address they carry.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** What an address is, for the purpose of sending a webhook to it. */
export const AddressClass = {
  public: 'public',
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  /** Carrier-grade NAT, 100.64.0.0/10 (RFC 6598). */
  cgnat: 'cgnat',
  multicast: 'multicast',
  unspecified: 'unspecified',
  /** A cloud provider's instance metadata service (169.254.169.254, fd00:ec2::254, 100.100.100.200, ...). */
  metadata: 'metadata',
  /** Documentation, benchmarking, broadcast, reserved and other special-purpose ranges. */
  reserved: 'reserved',
  /** Not an IP address. */
  invalid: 'invalid',
} as const;
export type AddressClass = (typeof AddressClass)[keyof typeof AddressClass];

/** Cloud metadata endpoints (IPv4), named before their ranges are. */
const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '169.254.169.253', '100.100.100.200', '192.0.0.192']);

/** IPv4 ranges as [first octets as a u32 prefix, length, class], checked in order. */
const V4_RANGES: readonly (readonly [string, number, AddressClass])[] = [
  ['0.0.0.0', 8, AddressClass.unspecified],
  ['10.0.0.0', 8, AddressClass.private],
  ['100.64.0.0', 10, AddressClass.cgnat],
  ['127.0.0.0', 8, AddressClass.loopback],
  ['169.254.0.0', 16, AddressClass.linkLocal],
  ['172.16.0.0', 12, AddressClass.private],
  ['192.0.0.0', 24, AddressClass.reserved],
  ['192.0.2.0', 24, AddressClass.reserved],
  ['192.88.99.0', 24, AddressClass.reserved],
  ['192.168.0.0', 16, AddressClass.private],
  ['198.18.0.0', 15, AddressClass.reserved],
  ['198.51.100.0', 24, AddressClass.reserved],
  ['203.0.113.0', 24, AddressClass.reserved],
  ['224.0.0.0', 4, AddressClass.multicast],
  ['240.0.0.0', 4, AddressClass.reserved],
];

function v4ToU32(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function inV4Range(value: number, base: string, bits: number): boolean {
  const size = 2 ** (32 - bits);
  const start = v4ToU32(base);
  return value >= start && value < start + size;
}

function classifyV4(address: string): AddressClass {
  if (METADATA_V4.has(address)) return AddressClass.metadata;
  const value = v4ToU32(address);
  for (const [base, bits, cls] of V4_RANGES) if (inV4Range(value, base, bits)) return cls;
  return AddressClass.public;
}

/** The 16 bytes of an IPv6 address node accepts (`isIPv6`), a zone index (`%eth0`) removed. */
function v6Bytes(address: string): Uint8Array {
  const bare = address.split('%')[0]!;
  const out = new Uint8Array(16);
  let text = bare;
  // A trailing dotted IPv4 part fills the last 32 bits.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  const groups: number[] = [];
  let v4: number[] | undefined;
  if (tail.includes('.')) {
    v4 = tail.split('.').map(Number);
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const fill = rest === undefined ? 0 : 8 - left.length - right.length;
  groups.push(...left, ...new Array<number>(fill).fill(0), ...right);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (v4 !== undefined) out.set(v4, 12);
  return out;
}

const v4Of = (bytes: Uint8Array, at: number) => `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
const allZero = (bytes: Uint8Array, from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);

function classifyV6(address: string): AddressClass {
  const b = v6Bytes(address);
  if (allZero(b, 0, 16)) return AddressClass.unspecified;
  if (allZero(b, 0, 15) && b[15] === 1) return AddressClass.loopback;
  // IPv4-mapped ::ffff:a.b.c.d and IPv4-translated ::ffff:0:a.b.c.d: the IPv4 address decides.
  if (allZero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(v4Of(b, 12));
  if (allZero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) return classifyV4(v4Of(b, 12));
  // IPv4-compatible ::a.b.c.d (deprecated) and the rest of ::/96.
  if (allZero(b, 0, 12)) return AddressClass.reserved;
  // NAT64 64:ff9b::/96 and 64:ff9b:1::/48: they reach the IPv4 address they carry.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b) {
    if (allZero(b, 4, 12)) return classifyV4(v4Of(b, 12));
    if (b[4] === 0 && b[5] === 1) return AddressClass.reserved;
  }
  // 6to4 2002::/16: the IPv4 address of the relay is in bytes 2..5.
  if (b[0] === 0x20 && b[1] === 0x02) {
    const inner = classifyV4(v4Of(b, 2));
    return inner === AddressClass.public ? AddressClass.public : inner;
  }
  // AWS's IPv6 instance metadata endpoint, before its ULA range.
  if (b[0] === 0xfd && b[1] === 0x00 && b[2] === 0x0e && b[3] === 0xc2 && allZero(b, 4, 14) && b[14] === 0x02 && b[15] === 0x54) return AddressClass.metadata;
  if ((b[0]! & 0xfe) === 0xfc) return AddressClass.private; // fc00::/7 unique local
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return AddressClass.linkLocal; // fe80::/10
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return AddressClass.private; // fec0::/10 site-local (deprecated)
  if (b[0] === 0xff) return AddressClass.multicast;
  // 100::/64 discard, 2001::/23 IETF protocol assignments (Teredo 2001::/32 among them), 2001:db8::/32 documentation, 3fff::/20 documentation.
  if (b[0] === 0x01 && b[1] === 0x00 && allZero(b, 2, 8)) return AddressClass.reserved;
  if (b[0] === 0x20 && b[1] === 0x01 && b[2]! < 0x02) return AddressClass.reserved;
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return AddressClass.reserved;
  if (b[0] === 0x3f && b[1] === 0xff && (b[2]! & 0xf0) === 0) return AddressClass.reserved;
  // Only global unicast (2000::/3) is public.
  if ((b[0]! & 0xe0) !== 0x20) return AddressClass.reserved;
  return AddressClass.public;
}

/** The class of an IP address (IPv4 dotted quad or any IPv6 text form, brackets allowed). */
export function classifyAddress(address: string): AddressClass {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(bare)) return classifyV4(bare);
  if (isIPv6(bare)) return classifyV6(bare);
  return AddressClass.invalid;
}

/** Whether a webhook may be sent to `address`: public, or loopback where `allowLoopback`. */
export function isAllowedAddress(address: string, allowLoopback: boolean): boolean {
  const cls = classifyAddress(address);
  return cls === AddressClass.public || (allowLoopback && cls === AddressClass.loopback);
}
