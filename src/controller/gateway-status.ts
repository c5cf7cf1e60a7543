import { get, inNamespace, LABEL, type Condition, type Gateway, type World } from '../model';
import { serviceHostname } from '../translate/names';

export interface GatewayStatus {
  addresses: { type: string; value: string }[];
  conditions: Condition[];
}

/**
 * A waypoint is Programmed once its Service exists and has a ready endpoint
 * on the HBONE port; until then ztunnel cannot send it anything.
 */
export function waypointGatewayStatus(world: World, gw: Gateway, domain = 'cluster.local'): GatewayStatus {
  const ns = gw.metadata.namespace ?? 'default';
  const gen = gw.metadata.generation;
  const svc = get(world, 'Service', ns, gw.metadata.name);
  const ip = svc?.spec?.clusterIP && svc.spec.clusterIP !== 'None' ? svc.spec.clusterIP : undefined;
  const ready = inNamespace(world, 'EndpointSlice', ns).some(
    (s) =>
      s.metadata.labels?.[LABEL.serviceName] === gw.metadata.name &&
      (s.ports ?? []).some((p) => p.port === 15008) &&
      (s.endpoints ?? []).some((e) => e.conditions?.ready !== false && e.addresses.length > 0),
  );
  const programmed = Boolean(svc && ip && ready);
  const cond = (type: string, ok: boolean, reason: string, message: string): Condition => ({
    type,
    status: ok ? 'True' : 'False',
    reason,
    message,
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
  });
  return {
    addresses: ip
      ? [
          { type: 'IPAddress', value: ip },
          { type: 'Hostname', value: serviceHostname(gw.metadata.name, ns, domain) },
        ]
      : [],
    conditions: [
      cond('Accepted', true, 'Accepted', 'Resource accepted'),
      programmed
        ? cond(
            'Programmed',
            true,
            'Programmed',
            'Resource programmed, assigned to service(s) ' + serviceHostname(gw.metadata.name, ns, domain) + ':15008',
          )
        : cond(
            'Programmed',
            false,
            'AddressNotUsable',
            svc
              ? `waypoint Service ${ns}/${gw.metadata.name} has no ready endpoint on port 15008 yet`
              : `waypoint Service ${ns}/${gw.metadata.name} does not exist yet`,
          ),
    ],
  };
}
