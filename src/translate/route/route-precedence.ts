import type { RouteMatchIR } from '../ir';

// Route entry order within one service port, as istiod's sortHTTPRoutes
// (pilot/pkg/config/kube/gateway/conversion.go) orders the one-match routes it
// splits each rule into: path kind (exact > prefix > regex > none), then the
// longer path, then a method match, then more header matches, then more query
// parameter matches. Prefixes are ranked without their trailing `/`. Ties keep
// their input order (older route first, then rule and match order).

/** getURIRank: exact 3, prefix 2, regex 1, no path -1. */
function uriRank(m: RouteMatchIR): number {
  switch (m.path?.kind) {
    case 'exact':
      return 3;
    case 'prefix':
      return 2;
    case 'regex':
      return 1;
    default:
      return -1;
  }
}

/** Negative when `a` must come before `b`. */
export function comparePrecedence(a: RouteMatchIR, b: RouteMatchIR): number {
  const ra = uriRank(a);
  const rb = uriRank(b);
  if (ra !== rb) return rb - ra;
  const la = a.path?.value.length ?? 0;
  const lb = b.path?.value.length ?? 0;
  if (la !== lb) return lb - la;
  if (!a.method !== !b.method) return a.method ? -1 : 1;
  if (a.headers.length !== b.headers.length) return b.headers.length - a.headers.length;
  return b.queryParams.length - a.queryParams.length;
}
