import type { HTTPCORSFilter, HTTPRouteRule, PathModifier } from '../../model';
import { httpRouteRetryAttempts } from '../../model/defaults';
import type { CorsIR, RetryIR, StringMatchIR } from '../ir';
import { gatewayDurationMs } from './route-attach';

// What a Gateway API rule's retry, timeouts, CORS and redirect become, decided
// as istiod decides them (pilot/pkg/config/kube/gateway/conversion.go and
// pilot/pkg/networking/core/route/).

/** Connection errors a Gateway API retry always covers (conversion.go: convertHTTPRoute). */
const CONNECTION_ERRORS = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'];

/**
 * The policy a route gets when nothing sets one: 2 retries on connection
 * errors and on codes the client lists in `x-envoy-retriable-status-codes`
 * (route/retry/retry.go: DefaultPolicy), unless the mesh config's
 * defaultHttpRetryPolicy says otherwise (retry-policy.ts: meshRetry).
 */
export const DEFAULT_RETRY: RetryIR = {
  attempts: 2,
  codes: [],
  retryOn: [...CONNECTION_ERRORS, 'retriable-status-codes'],
};

/**
 * A rule's retry policy and timeouts. With `retry` set, attempts default to 2
 * and `backendRequest` is the per-try timeout; without it, the policy is
 * `unset()`'s (the mesh default) and `backendRequest` replaces the route
 * timeout. `attempts: 0` turns retries off (and its
 * `backendRequest` goes with it, as in istiod). conversion.go:
 * convertHTTPRoute; route/retry/retry.go: ConvertPolicy.
 */
export function ruleRetryAndTimeout(
  rule: HTTPRouteRule | undefined,
  unset: () => RetryIR | undefined = () => DEFAULT_RETRY,
): { retry?: RetryIR; timeoutMs?: number } {
  const request = nonZero(gatewayDurationMs(rule?.timeouts?.request));
  const backend = nonZero(gatewayDurationMs(rule?.timeouts?.backendRequest));
  if (!rule?.retry) {
    const timeoutMs = backend ?? request;
    const retry = unset();
    return { ...(retry ? { retry } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
  }
  const attempts = httpRouteRetryAttempts(rule.retry);
  const timeout = request !== undefined ? { timeoutMs: request } : {};
  if (attempts <= 0) return timeout;
  const codes = rule.retry.codes ?? [];
  const backoffBaseMs = gatewayDurationMs(rule.retry.backoff);
  return {
    ...timeout,
    retry: {
      attempts,
      codes,
      retryOn: [...CONNECTION_ERRORS, ...(codes.length > 0 ? ['retriable-status-codes'] : [])],
      ...(backend !== undefined ? { perTryTimeoutMs: backend } : {}),
      ...(backoffBaseMs !== undefined ? { backoffBaseMs } : {}),
    },
  };
}

function nonZero(ms: number | undefined): number | undefined {
  return ms === 0 ? undefined : ms;
}

/** Go's regexp.QuoteMeta: escapes every RE2 metacharacter. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** An origin shaped `<scheme>://<host>[:<port>]`, what `*` allows (conversion.go: createCorsFilter). */
const ANY_ORIGIN = '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s?#]+$';

function originMatch(origin: string): StringMatchIR {
  if (origin === '*') return { kind: 'regex', value: ANY_ORIGIN };
  if (!origin.includes('*')) return { kind: 'exact', value: origin };
  if (origin.indexOf('*') === origin.length - 1) return { kind: 'prefix', value: origin.slice(0, -1) };
  return { kind: 'regex', value: `^${quoteMeta(origin).replaceAll('\\*', '.*')}$` };
}

/** HTTPRoute's CORS filter as a route-level CORS policy (conversion.go: createCorsFilter). */
export function corsPolicy(f: HTTPCORSFilter | undefined): CorsIR {
  return {
    allowOrigins: (f?.allowOrigins ?? []).filter((o) => o !== '').map(originMatch),
    allowCredentials: f?.allowCredentials === true,
    allowMethods: f?.allowMethods ?? [],
    allowHeaders: f?.allowHeaders ?? [],
    exposeHeaders: f?.exposeHeaders ?? [],
    ...(f?.maxAge && f.maxAge > 0 ? { maxAgeSeconds: f.maxAge } : {}),
  };
}

/**
 * The port a redirect names. No port and no scheme: the request's port, which
 * on a waypoint is the service port the route serves (FROM_REQUEST_PORT); a
 * scheme alone: the scheme's default. The default port of the resulting
 * scheme is left out. conversion.go: createRedirectFilter; route.go: ApplyRedirect.
 */
export function redirectPort(r: { scheme?: string; port?: number }, listenerPort: number): number | undefined {
  const port = r.port ?? (r.scheme ? undefined : listenerPort);
  // Unset, the request's scheme is kept: always plain http on a waypoint (not an API default).
  const scheme = r.scheme ?? 'http';
  if ((port === 80 && scheme === 'http') || (port === 443 && scheme === 'https')) return undefined;
  return port;
}

/**
 * A path modifier. URLRewrite's ReplacePrefixMatch loses a trailing `/` (an
 * empty result is `/`, which strips the prefix), so `/v2/` never yields `//`;
 * a redirect's prefix is taken as written. conversion.go: createRewriteFilter,
 * createRedirectFilter.
 */
export function pathModifier(
  p: PathModifier | undefined,
  use: 'rewrite' | 'redirect',
): { kind: 'full' | 'prefix'; value: string } | undefined {
  if (p?.type === 'ReplaceFullPath') return { kind: 'full', value: p.replaceFullPath ?? '/' };
  if (p?.type !== 'ReplacePrefixMatch') return undefined;
  const value = p.replacePrefixMatch ?? '/';
  if (use === 'redirect') return { kind: 'prefix', value };
  return { kind: 'prefix', value: value.replace(/\/$/, '') || '/' };
}
