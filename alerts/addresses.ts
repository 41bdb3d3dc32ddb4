// Server-side request forgery guard (Standard Webhooks guidance): a webhook endpoint must not make
// the platform call its own network. An address in a private, loopback, link-local or otherwise
// internal range is refused unless an operator allowed it for that endpoint.
import { BlockList, isIP } from 'node:net';

const internal = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) internal.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) internal.addSubnet(net, bits, 'ipv6');

/** Is this IP address (v4, v6, or v4 mapped into v6) one a webhook may not reach? */
export function isInternalAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return internal.check(mapped[1], 'ipv4');
  const family = isIP(ip);
  if (family === 0) return true; // not an address at all: refuse rather than guess
  return internal.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}
