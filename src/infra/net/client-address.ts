import { BlockList, isIP } from 'node:net';
import { ConfigError } from '../../config.ts';

/**
 * The address limits count a client by. IPv6 hands each subscriber at least a /64, so one client can
 * take a new address for every request: it is counted by its /64. IPv4-mapped IPv6 (`::ffff:1.2.3.4`)
 * is its IPv4 address.
 */
export function limitedNetwork(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of an IPv6 address, `::` expanded, without leading zeros. */
function expandIPv6(ip: string): string[] {
  const [head = '', tail] = ip.split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((part) =>
    (Number.parseInt(part, 16) || 0).toString(16),
  );
}

/** Where proxies may stand when none are named: loopback and private networks. */
const PRIVATE_NETWORKS = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '::1/128',
  'fc00::/7',
];

/** Parses an address or a CIDR block for a BlockList; null if it is neither. */
function parseNetwork(text: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | null {
  const [address = '', prefixText] = text.split('/');
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > max ||
    (prefixText !== undefined && !/^\d+$/.test(prefixText))
  )
    return null;
  return { address, prefix, type: version === 4 ? 'ipv4' : 'ipv6' };
}

/**
 * Who the client is: the socket's peer, or, when the peer is one of the trusted proxies, the address
 * `hops` proxies back in its X-Forwarded-For. A peer that is not a trusted proxy is the client, whatever
 * header it sends: anyone can write X-Forwarded-For.
 */
export class ClientAddresses {
  readonly #hops: number;
  readonly #proxies = new BlockList();

  constructor(options: { hops: number; trustedProxies: string[] }) {
    this.#hops = options.hops;
    const networks = options.trustedProxies.length > 0 ? options.trustedProxies : PRIVATE_NETWORKS;
    const invalid = networks.filter((network) => !parseNetwork(network));
    if (invalid.length > 0) {
      throw new ConfigError(
        invalid.map((network) => `TRUSTED_PROXIES has "${network}", which is not an address or a CIDR block`),
      );
    }
    for (const network of networks) {
      const { address, prefix, type } = parseNetwork(network)!;
      this.#proxies.addSubnet(address, prefix, type);
    }
  }

  of(peer: string | undefined, forwardedFor: string | null): string | null {
    if (this.#hops === 0 || !forwardedFor || !peer || !this.#isProxy(peer)) return peer ?? null;
    const chain = forwardedFor.split(',').map((part) => part.trim());
    return chain[Math.max(0, chain.length - this.#hops)] ?? null;
  }

  #isProxy(peer: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer);
    if (mapped) return this.#proxies.check(mapped[1]!, 'ipv4');
    const version = isIP(peer);
    return version !== 0 && this.#proxies.check(peer, version === 4 ? 'ipv4' : 'ipv6');
  }
}
