import { isCoreServiceRef } from '../../model/refs';
import { derive } from '../derived';
import { checkedValue, parseGatewayDuration as gatewayDuration } from '../../model/values';
import {
  readReferencing,
  type GRPCRoute,
  type HTTPRoute,
  type ParentReference,
  type Service,
  type TCPRoute,
  type TLSRoute,
} from '../../model';
import type { WaypointContext } from '../context';
import { parentRefGroup } from '../../model/defaults';

export type AnyRoute = HTTPRoute | GRPCRoute | TCPRoute | TLSRoute;
type RouteKind = AnyRoute['kind'];

/**
 * What a mesh route attaches to: a Service, or a ServiceEntry, whose every
 * host the route then applies to (route_collections.go: HTTPRouteCollection,
 * `vsHosts = ses.Spec.Hosts`).
 */
export interface RouteParent {
  kind: 'Service' | 'ServiceEntry';
  namespace: string;
  name: string;
  /** The host the routes are built for. */
  hostname: string;
}

const SERVICE_ENTRY_GROUP = 'networking.istio.io';

/** The key a parentRef names its parent by: `ns/name` for a Service, `ServiceEntry/ns/name` else. */
export function parentKey(ref: ParentReference, routeNs: string): string | undefined {
  const group = parentRefGroup(ref);
  const ns = ref.namespace ?? routeNs;
  if (isCoreServiceRef(group, ref.kind)) return `${ns}/${ref.name}`;
  if (group === SERVICE_ENTRY_GROUP && ref.kind === 'ServiceEntry') return `ServiceEntry/${ns}/${ref.name}`;
  return undefined;
}

function keyOfParent(p: RouteParent): string {
  return p.kind === 'Service' ? `${p.namespace}/${p.name}` : `ServiceEntry/${p.namespace}/${p.name}`;
}

// A namespace's routes of one kind by the key of each parent (parentKey) a
// parentRef of theirs names, in list order. Cached on the list, which the
// World keeps while no route of that kind in the namespace changes, so each
// service port looks at its own routes instead of every route around it.
const routesByService = derive((routes: readonly AnyRoute[]): ReadonlyMap<string, readonly AnyRoute[]> => {
  const m = new Map<string, AnyRoute[]>();
  for (const r of routes) {
    for (const ref of r.spec?.parentRefs ?? []) {
      const key = parentKey(ref, r.metadata.namespace);
      if (key === undefined) continue;
      let l = m.get(key);
      if (!l) m.set(key, (l = []));
      if (l[l.length - 1] !== r) l.push(r);
    }
  }
  return m;
});

function asParent(svc: Service | RouteParent): RouteParent {
  if ('kind' in svc && svc.kind === 'ServiceEntry') return svc;
  if ('metadata' in svc)
    return { kind: 'Service', namespace: svc.metadata.namespace, name: svc.metadata.name, hostname: '' };
  return svc;
}

/**
 * Routes of `kind` attached to a service port. A waypoint applies routes from
 * the service's own namespace (producer routes) and from the waypoint's.
 */
export function attachedRoutes<K extends RouteKind>(
  ctx: WaypointContext,
  kind: K,
  svc: Service | RouteParent,
  port: number,
): Extract<AnyRoute, { kind: K }>[] {
  const parent = asParent(svc);
  const namespaces = [...new Set([parent.namespace, ctx.waypoint.namespace])];
  const key = keyOfParent(parent);
  const out: Extract<AnyRoute, { kind: K }>[] = [];
  for (const ns of namespaces) {
    const candidates = routesByService(readReferencing(ctx, kind, ns, key) as unknown as readonly AnyRoute[]).get(key);
    for (const r of (candidates ?? []) as readonly Extract<AnyRoute, { kind: K }>[]) {
      const refs = r.spec?.parentRefs ?? [];
      if (refs.some((p) => parentKey(p, ns) === key && (p.port === undefined || p.port === port))) out.push(r);
    }
  }
  return out;
}

/**
 * Older routes first, then by namespace, then by name: Gateway API's tie-break
 * between routes (conversion.go: sortRoutesByCreationTime).
 */
export function routeOrder(a: AnyRoute, b: AnyRoute): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata.namespace;
  const nb = b.metadata.namespace;
  if (na !== nb) return na < nb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** A Gateway API duration in ms (GEP-2257, checked at load by model/values.ts), or none. */
export function gatewayDurationMs(s: string | undefined): number | undefined {
  return s === undefined || s === '' ? undefined : checkedValue(gatewayDuration, s);
}
