// analyze findings about ServiceEntries and waypoints: configurations istiod
// accepts but whose traffic never reaches (or is never configured on) the
// waypoint.
import { waypointKey, type AmbientIndex } from '../ambient';
import { get, list, type World } from '../model';
import { hostAddresses, resolutionOf } from '../translate/service-entries';
import type { Message } from './analyze';

const CODE = {
  routeWithoutWaypoint: 'ISL0002',
  hostWithoutAddress: 'ISL0004',
  dynamicDnsWithoutWaypoint: 'ISL0005',
} as const;

const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute'] as const;

export function serviceEntryFindings(world: World, index: AmbientIndex): Message[] {
  const out: Message[] = [];
  for (const se of list(world, 'ServiceEntry')) {
    const ns = se.metadata.namespace ?? 'default';
    const at = { kind: 'ServiceEntry', namespace: ns, name: se.metadata.name };
    const b = index.bindings.get(`ServiceEntry/${ns}/${se.metadata.name}`);
    if (b?.kind === 'bound') {
      // The waypoint matches a host by address only (listener_waypoint.go:
      // buildWaypointInternal); with none, ztunnel has nothing to send to it.
      for (const host of se.spec?.hosts ?? []) {
        if (hostAddresses(se, host).length > 0) continue;
        out.push({
          level: 'Warning',
          code: CODE.hostWithoutAddress,
          ...at,
          text: `host ${host} has no address (none in spec.addresses, none allocated in status.addresses), so its traffic never reaches waypoint ${waypointKey(b.waypoint)}; set addresses or run istiod's IP allocator`,
        });
      }
    } else if (resolutionOf(se) === 'DYNAMIC_DNS') {
      // services.go: serviceEntriesInfo — not shared with the dataplane without a waypoint.
      out.push({
        level: 'Warning',
        code: CODE.dynamicDnsWithoutWaypoint,
        ...at,
        text: 'has DYNAMIC_DNS resolution but no waypoint; only an egress waypoint resolves it (label it istio.io/use-waypoint=<waypoint>)',
      });
    }
  }
  // Routes whose parent entry uses no waypoint have no effect (as for Services in analyze.ts).
  for (const kind of ROUTE_KINDS)
    for (const r of list(world, kind)) {
      const routeNs = r.metadata.namespace ?? 'default';
      for (const p of r.spec?.parentRefs ?? []) {
        if (p.kind !== 'ServiceEntry' || p.group !== 'networking.istio.io') continue;
        const ns = p.namespace ?? routeNs;
        if (!get(world, 'ServiceEntry', ns, p.name)) continue;
        const b = index.bindings.get(`ServiceEntry/${ns}/${p.name}`);
        if (b?.kind === 'bound' || b?.reason) continue;
        out.push({
          level: 'Warning',
          code: CODE.routeWithoutWaypoint,
          kind,
          namespace: routeNs,
          name: r.metadata.name,
          text: `has no effect: ServiceEntry ${ns}/${p.name} uses no waypoint; label it or its namespace istio.io/use-waypoint=<waypoint>`,
        });
      }
    }
  return out;
}
