// Secondary indexes over a World. Each is derived from one kind's table and
// cached on it, so it is recomputed only when that kind changed, and then
// patched from the previous one when few keys changed (see `grouped`).
import type { EndpointSlice, Pod } from './core';
import type { GRPCRoute, HTTPRoute, TCPRoute, TLSRoute } from './gateway';
import { LABEL } from './labels';
import { objectKey } from './meta';
import { grouped } from './grouped';
import type { World } from './world';

export type Route = HTTPRoute | GRPCRoute | TCPRoute | TLSRoute;
export const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute'] as const;

const labelKey = (ns: string, k: string, v: string) => `${ns}\u0000${k}\u0000${v}`;

/**
 * Pods in `namespace` whose labels include every pair of `selector` (a
 * Service selector). An empty selector selects nothing, as for Services.
 * Sorted by key so callers get a stable order.
 */
export function podsMatching(world: World, namespace: string, selector: Record<string, string> | undefined): Pod[] {
  const pairs = Object.entries(selector ?? {});
  if (pairs.length === 0) return [];
  const byLabel = grouped(
    world,
    'Pod',
    'byLabel',
    (p) => Object.entries(p.metadata.labels ?? {}).map(([k, v]) => labelKey(p.metadata.namespace ?? '', k, v)),
    'key',
  );
  // Start from the rarest pair and filter by the rest.
  const candidates = pairs.map(([k, v]) => byLabel.get(labelKey(namespace, k, v)) ?? []);
  candidates.sort((a, b) => a.length - b.length);
  const first = candidates[0] ?? [];
  return first.filter((p) => pairs.every(([k, v]) => p.metadata.labels?.[k] === v));
}

/** EndpointSlices of one Service (by the `kubernetes.io/service-name` label). */
export function endpointSlicesOf(world: World, namespace: string, service: string): readonly EndpointSlice[] {
  const byService = grouped(
    world,
    'EndpointSlice',
    'byService',
    (s) => {
      const svc = s.metadata.labels?.[LABEL.serviceName];
      return svc === undefined ? [] : [objectKey('Service', s.metadata.namespace, svc)];
    },
    'key',
  );
  return byService.get(objectKey('Service', namespace, service)) ?? [];
}

/**
 * Routes whose parentRefs name an object, keyed like that object
 * (`Service/default/reviews`, `Gateway/default/waypoint`). A parentRef without
 * kind means Gateway and without namespace the route's own namespace, as the
 * Gateway API defines.
 */
export function routesOfParent(world: World, parentKey: string): Route[] {
  const out: Route[] = [];
  for (const kind of ROUTE_KINDS) {
    // One route listed once per parent, whatever its sections.
    const byParent = grouped(
      world,
      kind,
      'byParent',
      (r: Route) => [
        ...new Set(
          (r.spec?.parentRefs ?? []).map((p) =>
            objectKey(p.kind ?? 'Gateway', p.namespace ?? r.metadata.namespace, p.name),
          ),
        ),
      ],
      'key',
    );
    out.push(...(byParent.get(parentKey) ?? []));
  }
  return out;
}
