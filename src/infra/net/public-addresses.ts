import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { withTimeout } from '../timeout.ts';

/**
 * Addresses that are not the public internet's (RFC 6890 special-purpose ranges): this host, private
 * networks, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, documentation, benchmark,
 * multicast and reserved. A URL a user gives mlp to call must not reach them: mlp would be the user's
 * way into the network it runs in.
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  // Unspecified, loopback, and IPv4-compatible (deprecated: `::a.b.c.d`).
  ['::', 96],
  // IPv4-translated (SIIT: `::ffff:0:a.b.c.d`), and NAT64 for local use.
  ['::ffff:0:0:0', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, or NAT64 `64:ff9b::a.b.c.d`). */
function embeddedIpv4(address: string): string | null {
  const match = /^(?:::ffff:|64:ff9b::)(?:0:)?([\d.]+)$/i.exec(address);
  if (match) return match[1]!;
  const hex = /^(?:::ffff:|64:ff9b::)([\da-f]{1,4}):([\da-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [high, low] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Whether `address` (an IP literal) is on the public internet. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = embeddedIpv4(address);
  if (v4 !== null) return isIP(v4) === 4 && !NOT_PUBLIC.check(v4, 'ipv4');
  return !NOT_PUBLIC.check(address, 'ipv6');
}

export type ResolvedAddress = { address: string; family: 4 | 6 };

/**
 * The addresses `host` (a name or an IP literal) resolves to, all public unless `allowPrivate`; throws
 * `AddressNotAllowedError` when any is not (a name that resolves to one public and one private address
 * would let whoever runs its DNS choose).
 */
export async function resolvePublic(host: string, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literal = isIP(bare);
  const addresses: ResolvedAddress[] = literal
    ? [{ address: bare, family: literal as 4 | 6 }]
    : (await resolveWithin(bare)).map(({ address, family }) => ({ address, family: family as 4 | 6 }));
  if (!allowPrivate) {
    const refused = addresses.find(({ address }) => !isPublicAddress(address));
    if (refused) throw new AddressNotAllowedError(host, refused.address);
  }
  return addresses;
}

/** How long a name may take to resolve: a user's slow DNS must not hold the threads that resolve for all. */
const RESOLVE_TIMEOUT_MS = 5000;

function resolveWithin(name: string) {
  return withTimeout(lookup(name, { all: true, verbatim: true }), RESOLVE_TIMEOUT_MS, `DNS for ${name}`);
}

export class AddressNotAllowedError extends Error {
  constructor(host: string, address: string) {
    super(
      host === address
        ? `${address} is not a public address`
        : `${host} resolves to ${address}, which is not a public address`,
    );
    this.name = 'AddressNotAllowedError';
  }
}
