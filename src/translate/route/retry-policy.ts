import { parseRetryOn } from '../../model/retry-on';
import { checkedValue, parseIstioDuration } from '../../model/values';
import type { VsHttpRoute } from '../../model';
import type { WaypointContext } from '../context';
import type { RetryIR } from '../ir';
import { meshHttpRetry } from '../mesh-config';
import { DEFAULT_RETRY } from './route-policies';
import { derive } from '../derived';

// An Istio HTTPRetry (a VirtualService route's `retries`) as a route's retry policy.

const ms = (d: string | undefined): number | undefined =>
  d === undefined ? undefined : checkedValue(parseIstioDuration, d);

/** route/retry/retry.go: ConvertPolicy, parseRetryOn. No policy: the default; attempts 0: none. */
export function convertRetry(r: VsHttpRoute['retries']): RetryIR | undefined {
  if (!r) return DEFAULT_RETRY;
  const attempts = r.attempts ?? 0;
  if (attempts <= 0) return undefined;
  let retryOn = DEFAULT_RETRY.retryOn;
  let codes: number[] = [];
  if (r.retryOn) {
    ({ policies: retryOn, codes } = parseRetryOn(r.retryOn));
    if (codes.length > 0 && !retryOn.join(',').includes('retriable-status-codes'))
      retryOn = [...retryOn, 'retriable-status-codes'];
  }
  const perTry = ms(r.perTryTimeout);
  const backoff = ms(r.backoff);
  return {
    attempts,
    codes,
    retryOn,
    ...(perTry !== undefined ? { perTryTimeoutMs: perTry } : {}),
    ...(backoff !== undefined ? { backoffBaseMs: backoff } : {}),
    ...(r.retryIgnorePreviousHosts === false ? { noHostPredicate: true } : {}),
    ...(r.retryRemoteLocalities ? { remoteLocalities: true } : {}),
  };
}

// A mesh config's policy converted once per ConfigMap version's parsed value.
const converted = derive((raw: NonNullable<VsHttpRoute['retries']>) => convertRetry(raw));

/**
 * The policy of a route that sets none: the mesh config's
 * `defaultHttpRetryPolicy` converted as a VirtualService's (`attempts: 0`:
 * none), else the default (route.go: applyHTTPRouteDestination, `policy =
 * opts.Mesh.GetDefaultHttpRetryPolicy()` when the route has no retries;
 * BuildDefaultHTTPOutboundRoute for a service's default route).
 */
export function meshRetry(ctx: WaypointContext): RetryIR | undefined {
  const raw = meshHttpRetry(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  if (!raw) return DEFAULT_RETRY;
  return converted(raw);
}
