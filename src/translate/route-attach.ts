import {
  inNamespace,
  type GRPCRoute,
  type HTTPRoute,
  type ParentReference,
  type Service,
  type TCPRoute,
  type TLSRoute,
} from '../model';
import type { WaypointContext } from './context';

export type AnyRoute = HTTPRoute | GRPCRoute | TCPRoute | TLSRoute;
type RouteKind = AnyRoute['kind'];

/** Whether a parentRef names `svc` (and `port`, when the ref has one). */
export function refersToService(ref: ParentReference, routeNs: string, svc: Service, port?: number): boolean {
  const group = ref.group ?? 'gateway.networking.k8s.io';
  if (!((group === '' || group === 'core') && ref.kind === 'Service')) return false;
  if ((ref.namespace ?? routeNs) !== (svc.metadata.namespace ?? 'default') || ref.name !== svc.metadata.name)
    return false;
  return port === undefined || ref.port === undefined || ref.port === port;
}

/**
 * Routes of `kind` attached to a service port. A waypoint applies routes from
 * the service's own namespace (producer routes) and from the waypoint's.
 */
export function attachedRoutes<K extends RouteKind>(
  ctx: WaypointContext,
  kind: K,
  svc: Service,
  port: number,
): Extract<AnyRoute, { kind: K }>[] {
  const namespaces = [...new Set([svc.metadata.namespace ?? 'default', ctx.waypoint.namespace])];
  const out: Extract<AnyRoute, { kind: K }>[] = [];
  for (const ns of namespaces) {
    ctx.reads.namespace(kind, ns);
    for (const r of inNamespace(ctx.world, kind, ns) as unknown as Extract<AnyRoute, { kind: K }>[]) {
      if ((r.spec?.parentRefs ?? []).some((p) => refersToService(p, ns, svc, port))) out.push(r);
    }
  }
  return out;
}

/** Older routes first, then by namespace/name: Gateway API's tie-break between routes. */
export function routeOrder(a: AnyRoute, b: AnyRoute): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Gateway API durations: 1h, 30s, 500ms, 1m30s. */
export function parseGatewayDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const re = /(\d+)(h|ms|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    matched += m[0];
  }
  return matched === s ? total : undefined;
}
