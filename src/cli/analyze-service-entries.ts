// analyze findings about ServiceEntries and waypoints: configurations istiod
// accepts but whose traffic never reaches (or is never configured on) the
// waypoint.
import { waypointKey, type AmbientIndex } from '../ambient';
import { list, type World } from '../model';
import { hostAddresses, resolutionOf } from '../translate/waypoint/service-entries';
import type { Message } from './analyze';
import { CODE } from './analyze-codes';
import { routesWithoutWaypoint } from './analyze-routes';

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
          text: `host ${host} has no address (none in spec.addresses, none allocated in status.addresses), so its traffic never reaches waypoint ${waypointKey(b.waypoint)}; set addresses, or let addresses be allocated (resolution other than NONE, no networking.istio.io/enable-autoallocate-ip: "false" label, a wildcard host only with DYNAMIC_DNS)`,
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
  // Routes whose parent entry uses no waypoint have no effect (as for Services).
  out.push(...routesWithoutWaypoint(world, index, 'ServiceEntry'));
  return out;
}
