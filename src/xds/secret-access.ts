import { TypeUrl } from '../envoy';
import type { Identity } from './auth';

/**
 * sds.go: Generate — credentials go only to a proxy that proved who it is.
 * A secret request on a port that does not authenticate gets no answer, and
 * the clusters waiting on it keep waiting, as with istiod.
 */
export function secretRequestRefused(typeUrl: string, identity: Identity | undefined): boolean {
  return typeUrl === TypeUrl.Secret && !identity;
}

export const SECRET_REFUSED_MESSAGE =
  'credentials are sent only to authenticated proxies (the TLS port); SDS request ignored';
