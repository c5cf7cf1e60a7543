import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// Addresses a JWKS fetch never goes to, as istiod blocks them
// (pilot/pkg/model/jwks_resolver.go: jwksBlockedIP; pkg/security/dial.go:
// IsLinkLocal, IsKnownCloudMetadataAddress): link-local ranges, which hold
// cloud instance-metadata endpoints, and the metadata addresses outside them.
const BLOCKED = new BlockList();
BLOCKED.addSubnet('169.254.0.0', 16, 'ipv4');
BLOCKED.addSubnet('224.0.0.0', 24, 'ipv4');
BLOCKED.addSubnet('fe80::', 10, 'ipv6');
BLOCKED.addSubnet('ff02::', 16, 'ipv6');
BLOCKED.addAddress('100.100.100.200', 'ipv4');
BLOCKED.addSubnet('fd00:ec2::', 32, 'ipv6');

/** Why `ip` may not be fetched from, or undefined when it may. */
export function blockedReason(ip: string): string | undefined {
  const family = isIP(ip);
  if (family === 0) return undefined;
  return BLOCKED.check(ip, family === 4 ? 'ipv4' : 'ipv6')
    ? `connection blocked: ${ip} is link-local or a cloud metadata address`
    : undefined;
}

/** A `lookup` for http(s) requests that refuses blocked addresses after DNS resolution. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    for (const a of list) {
      const why = blockedReason(a.address);
      if (why) return callback(Object.assign(new Error(why), { code: 'EBLOCKED' }), '');
    }
    if (options.all) return callback(null, list);
    const first = list[0];
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    callback(null, first.address, first.family);
  });
};
