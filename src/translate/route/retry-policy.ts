import { parseRetryOn } from '../../model/retry-on';
import { checkedValue, parseIstioDuration } from '../../model/values';
import type { VsHttpRoute } from '../../model';
import type { RetryIR } from '../ir';
import { DEFAULT_RETRY } from './route-policies';

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
