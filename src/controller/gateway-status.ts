import { get, inNamespace, LABEL, type Condition, type Gateway, type World } from '../model';
import { serviceHostname } from '../translate/names';

export interface GatewayStatus {
  addresses: { type: string; value: string }[];
  programmed: Condition;
}

/**
 * What the controller adds to a waypoint Gateway's status: its addresses and
 * Programmed. Accepted (and the listeners') comes from the translator's
 * status pass (translate/status: gatewayStatuses), the one place it is decided.
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
  const host = serviceHostname(gw.metadata.name, ns, domain);
  const programmed: Condition =
    svc && ip && ready
      ? {
          type: 'Programmed',
          status: 'True',
          reason: 'Programmed',
          message: `Resource programmed, assigned to service(s) ${host}:15008`,
        }
      : {
          type: 'Programmed',
          status: 'False',
          reason: 'AddressNotUsable',
          message: svc
            ? `waypoint Service ${ns}/${gw.metadata.name} has no ready endpoint on port 15008 yet`
            : `waypoint Service ${ns}/${gw.metadata.name} does not exist yet`,
        };
  return {
    addresses: ip
      ? [
          { type: 'IPAddress', value: ip },
          { type: 'Hostname', value: host },
        ]
      : [],
    programmed: gen !== undefined ? { ...programmed, observedGeneration: gen } : programmed,
  };
}
