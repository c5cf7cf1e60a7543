// Secondary indexes over a World. Each is derived from one kind's table and
// cached on it, so it is rebuilt only when that kind changed (see `derived`).
import type { EndpointSlice, Pod } from './core';
import type { GRPCRoute, HTTPRoute, TCPRoute, TLSRoute } from './gateway';
import { LABEL } from './labels';
import { keyOf, objectKey, type KubeObject } from './meta';
import { derived, type World } from './world';

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
  const byLabel = derived(world, 'Pod', 'byLabel', (pods) => {
    const m = new Map<string, Pod[]>();
    for (const p of pods.sort(byKey)) {
      for (const [k, v] of Object.entries(p.metadata.labels ?? {})) {
        const key = labelKey(p.metadata.namespace ?? '', k, v);
        let l = m.get(key);
        if (!l) m.set(key, (l = []));
        l.push(p);
      }
    }
    return m;
  });
  // Start from the rarest pair and filter by the rest.
  const candidates = pairs.map(([k, v]) => byLabel.get(labelKey(namespace, k, v)) ?? []);
  candidates.sort((a, b) => a.length - b.length);
  const first = candidates[0] ?? [];
  return first.filter((p) => pairs.every(([k, v]) => p.metadata.labels?.[k] === v));
}

/** EndpointSlices of one Service (by the `kubernetes.io/service-name` label). */
export function endpointSlicesOf(world: World, namespace: string, service: string): EndpointSlice[] {
  const byService = derived(world, 'EndpointSlice', 'byService', (slices) => {
    const m = new Map<string, EndpointSlice[]>();
    for (const s of slices.sort(byKey)) {
      const svc = s.metadata.labels?.[LABEL.serviceName];
      if (svc === undefined) continue;
      const key = objectKey('Service', s.metadata.namespace, svc);
      let l = m.get(key);
      if (!l) m.set(key, (l = []));
      l.push(s);
    }
    return m;
  });
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
    const byParent = derived(world, kind, 'byParent', (routes) => {
      const m = new Map<string, Route[]>();
      for (const r of (routes as Route[]).sort(byKey)) {
        const seen = new Set<string>();
        for (const p of r.spec?.parentRefs ?? []) {
          const key = objectKey(p.kind ?? 'Gateway', p.namespace ?? r.metadata.namespace, p.name);
          if (seen.has(key)) continue; // one route listed once per parent, whatever its sections
          seen.add(key);
          let l = m.get(key);
          if (!l) m.set(key, (l = []));
          l.push(r);
        }
      }
      return m;
    });
    out.push(...(byParent.get(parentKey) ?? []));
  }
  return out;
}

function byKey(a: KubeObject, b: KubeObject): number {
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
