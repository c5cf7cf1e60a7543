import type { AmbientIndex } from '../ambient';
import { get, list, type World } from '../model';
import { parentRefGroup } from '../model/defaults';
import { isCoreServiceRef } from '../model/refs';
import type { Message } from './analyze';
import { CODE, ROUTE_KINDS } from './analyze-codes';

/**
 * A mesh route whose parent Service (or ServiceEntry) uses no waypoint has no effect. Its status
 * cannot say so in every case (istiod's ResolvedWaypoints reads only the
 * labels, and a Service labelled `none` in a labelled namespace passes), so
 * this asks the ambient index.
 */
export function routesWithoutWaypoint(
  world: World,
  index: AmbientIndex,
  parent: 'Service' | 'ServiceEntry' = 'Service',
): Message[] {
  // A parentRef without a group names a Gateway API group (the CRD's default), not the core one.
  const names = (group: string, kind: string | undefined) =>
    parent === 'Service' ? isCoreServiceRef(group, kind) : kind === parent && group === 'networking.istio.io';
  const out: Message[] = [];
  for (const kind of ROUTE_KINDS)
    for (const r of list(world, kind)) {
      const routeNs = r.metadata.namespace;
      for (const p of r.spec?.parentRefs ?? []) {
        if (!names(parentRefGroup(p), p.kind)) continue;
        const ns = p.namespace ?? routeNs;
        if (!get(world, parent, ns, p.name)) continue;
        const b = index.bindings.get(`${parent}/${ns}/${p.name}`);
        if (b?.kind === 'bound' || b?.reason) continue;
        out.push({
          level: 'Warning',
          code: CODE.routeWithoutWaypoint,
          kind,
          namespace: routeNs,
          name: r.metadata.name,
          text: `has no effect: ${parent} ${ns}/${p.name} uses no waypoint; label it or its namespace istio.io/use-waypoint=<waypoint>`,
        });
      }
    }
  return out;
}
