import { BlockList, isIP } from 'node:net';

/** What an IP address is, as far as a crawler that must not reach inside a network cares. */
export type AddressClass = 'public' | 'metadata' | 'unspecified' | 'loopback' | 'private' | 'link-local' | 'shared' | 'multicast' | 'reserved';

function blockList(entries: ReadonlyArray<readonly [string, number]>): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of entries) list.addSubnet(network, prefix, network.includes(':') ? 'ipv6' : 'ipv4');
  return list;
}

// Checked in this order: the cloud metadata endpoints sit inside the link-local, shared and private ranges.
// An IPv4-mapped IPv6 address (::ffff:127.0.0.1) matches the IPv4 ranges.
const RANGES: ReadonlyArray<readonly [Exclude<AddressClass, 'public'>, BlockList]> = [
  ['metadata', blockList([['169.254.169.254', 32], ['168.63.129.16', 32], ['100.100.100.200', 32], ['fd00:ec2::254', 128]])],
  ['unspecified', blockList([['0.0.0.0', 8], ['::', 128]])],
  ['loopback', blockList([['127.0.0.0', 8], ['::1', 128]])],
  ['private', blockList([['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['fc00::', 7], ['fec0::', 10]])],
  ['link-local', blockList([['169.254.0.0', 16], ['fe80::', 10]])],
  ['shared', blockList([['100.64.0.0', 10]])],
  ['multicast', blockList([['224.0.0.0', 4], ['ff00::', 8]])],
  ['reserved', blockList([['240.0.0.0', 4], ['192.0.0.0', 24], ['198.18.0.0', 15]])],
];

/** The class of an IP address (v4 or v6); anything that is not an IP address is 'reserved'. */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [name, list] of RANGES) if (list.check(address, type)) return name;
  return 'public';
}
