// What follows the route or tcp_proxy: redirects and direct responses, and
// the clusters (weighted or not) with the endpoints Envoy would pick from.
import { clusterView, hasUpstream, type EnvoyConfig } from './envoy-config';
import { arr, num, obj, str, type Headers } from './matchers';
import type { ClusterStep, Verdict } from './types';

const RESPONSE_CODES: Record<string, number> = {
  SERVICE_UNAVAILABLE: 503,
  NOT_FOUND: 404,
  INTERNAL_SERVER_ERROR: 500,
};
const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

export function clustersOfAction(
  action: Record<string, unknown>,
  headers: Headers | undefined,
): ClusterStep[] | string {
  const weighted = arr(obj(action.weightedClusters).clusters).map(obj);
  if (weighted.length > 0)
    return weighted.map((w) => ({ name: str(w.name) ?? '', weight: num(w.weight) ?? 0 }) as ClusterStep);
  const single = str(action.cluster);
  if (single !== undefined) return [{ name: single } as ClusterStep];
  const header = str(action.clusterHeader);
  if (header !== undefined) {
    const named = headers?.get(header.toLowerCase());
    return named === undefined ? `the cluster header ${header} is absent` : [{ name: named } as ClusterStep];
  }
  return 'the route names no cluster';
}

/** The clusters behind a route or tcp_proxy, with their endpoints; a verdict for the ones that fail. */
export function upstream(
  cfg: EnvoyConfig,
  picked: ClusterStep[],
  tcp: boolean,
  notFoundCode: number,
  original: string,
): { clusters: ClusterStep[]; verdict: Verdict } {
  const clusters = picked.map((p) => ({
    ...clusterView(cfg, p.name),
    ...(p.weight !== undefined ? { weight: p.weight } : {}),
  }));
  const live = clusters.filter((c) => c.weight === undefined || c.weight > 0);
  const ok = live.filter((c) => c.found && hasUpstream(c));
  const share = (c: ClusterStep) => {
    const total = live.reduce((n, x) => n + (x.weight ?? 0), 0);
    return c.weight !== undefined && live.length > 1 && total > 0 ? ` (${Math.round((c.weight * 100) / total)}%)` : '';
  };
  const where = (c: ClusterStep) => {
    if (c.originalDestination) return `${c.name}, the original destination ${original}`;
    if (c.dynamicHost) return `${c.name}, the request's host resolved by DNS`;
    const usable = c.endpoints.filter((e) => e.healthy);
    // An endpoint that is only the tunnel listener (encap) carries the connection to where it was going.
    if (usable.length > 0 && usable.every((e) => e.workload === undefined && e.address.startsWith('internal listener')))
      return `the original destination ${original} (through ${c.name})`;
    const targets = usable.map((e) => e.workload ?? e.address);
    return `${c.name}${targets.length > 0 ? ` → ${targets.join(', ')}` : ''}`;
  };
  const failures = live
    .filter((c) => !ok.includes(c))
    .map((c) => {
      const fate = tcp ? '' : ` (${c.found ? 503 : notFoundCode})`;
      return c.found
        ? `${c.name}${share(c)} has no healthy endpoint${fate}`
        : `cluster ${c.name}${share(c)} does not exist${fate}`;
    });
  if (ok.length > 0) {
    const summary =
      `${tcp ? 'TCP forwarded' : 'forwarded'} to ${ok.map((c) => `${where(c)}${share(c)}`).join('; ')}` +
      (failures.length > 0 ? `; but ${failures.join('; ')}${tcp ? ' (those connections close)' : ''}` : '');
    return { clusters, verdict: { outcome: tcp ? 'tcp-forwarded' : 'forwarded', summary } };
  }
  const missing = live.find((c) => !c.found);
  if (tcp)
    return {
      clusters,
      verdict: {
        outcome: 'tcp-closed',
        detail: missing ? undefined : 'UH',
        summary: `connection closed: ${failures.join('; ') || 'no cluster'}`,
      },
    };
  if (missing && live.every((c) => !c.found))
    return {
      clusters,
      verdict: {
        outcome: 'cluster-not-found',
        status: notFoundCode,
        detail: 'NC',
        summary: `${notFoundCode}: ${failures.join('; ')}`,
      },
    };
  return {
    clusters,
    verdict: {
      outcome: 'no-healthy-upstream',
      status: 503,
      detail: 'UH',
      summary: `503 no healthy upstream: ${failures.join('; ')}`,
    },
  };
}

export function routerVerdict(
  cfg: EnvoyConfig,
  routed: { route?: Record<string, unknown>; missing?: string },
  headers: Headers,
  original: string,
): Verdict {
  const r = routed.route;
  if (!r)
    return { outcome: 'no-route', status: 404, detail: 'NR', summary: `404 (no route: NR): ${routed.missing ?? ''}` };
  if (r.directResponse !== undefined) {
    const status = num(obj(r.directResponse).status) ?? 200;
    return {
      outcome: 'direct-response',
      status,
      summary: `${status} answered by the waypoint itself (direct response)`,
    };
  }
  if (r.redirect !== undefined) {
    const d = obj(r.redirect);
    const status = REDIRECT_CODES[str(d.responseCode) ?? 'MOVED_PERMANENTLY'] ?? 301;
    const parts = [
      str(d.schemeRedirect) && `scheme ${str(d.schemeRedirect)}`,
      str(d.hostRedirect) && `host ${str(d.hostRedirect)}`,
      num(d.portRedirect) !== undefined && `port ${num(d.portRedirect)}`,
      str(d.pathRedirect) && `path ${str(d.pathRedirect)}`,
      str(d.prefixRewrite) && `prefix ${str(d.prefixRewrite)}`,
    ].filter((x): x is string => typeof x === 'string');
    return { outcome: 'redirect', status, summary: `${status} redirect (${parts.join(', ') || 'same location'})` };
  }
  const action = obj(r.route);
  const picked = clustersOfAction(action, headers);
  if (typeof picked === 'string') return { outcome: 'no-healthy-upstream', status: 503, summary: `503: ${picked}` };
  const code = RESPONSE_CODES[str(action.clusterNotFoundResponseCode) ?? 'SERVICE_UNAVAILABLE'] ?? 503;
  return { ...upstream(cfg, picked, false, code, original).verdict };
}
