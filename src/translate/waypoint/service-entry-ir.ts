import type { ServiceEntry } from '../../model';
import type { WaypointContext } from '../context';
import type { ChainPolicyIR, OutboundClusterIR, ServiceIR, ServicePortIR } from '../ir';
import { httpRoutesFor } from '../route/http-routes';
import { tcpRoutesFor } from '../route/tcp-routes';
import type { RouteParent } from '../route/route-attach';
import type { DestinationRuleIndex } from './destination-rules';
import { defaultHash, tcpProxyFor, withHashPolicies } from './destination-routes';
import { serviceEntryDestination, serviceEntryLocality, serviceEntryPortEndpoints } from './service-entry-destination';
import { chainKind } from '../services';
import { portServed, racesFirstConnect, resolutionOf, serviceEntryProtocol, waypointVips } from './service-entries';

/**
 * The services a waypoint builds for its ServiceEntries: one per host, named
 * by the host in the entry's namespace (conversion.go: convertServices,
 * `Attributes.Name = host`), with the routes whose parent is the entry and
 * the policies whose target is (`ServiceEntry/<ns>/<name>` in `policyOf`),
 * and the host's DestinationRule on its clusters, route hash policies and
 * tcp_proxy as for a Service (listener_waypoint.go: buildWaypointInternal
 * builds an entry's chains as a Service's).
 * A host two entries declare is served once, from the first entry in
 * namespace/name order, as istiod keys a waypoint's services by hostname.
 */
export function serviceEntryIRs(
  ctx: WaypointContext,
  entries: readonly ServiceEntry[],
  policyOf: (key: string) => ChainPolicyIR,
  outbound: Map<string, OutboundClusterIR>,
  taken: Set<string>,
  rules?: DestinationRuleIndex,
): ServiceIR[] {
  const out: ServiceIR[] = [];
  const sorted = [...entries].sort((a, b) =>
    `${a.metadata.namespace}/${a.metadata.name}` < `${b.metadata.namespace}/${b.metadata.name}` ? -1 : 1,
  );
  const wildcardTls = ctx.opts.wildcardTlsServiceEntries === true;
  for (const se of sorted) {
    const ns = se.metadata.namespace;
    const policy = policyOf(`ServiceEntry/${ns}/${se.metadata.name}`);
    const resolution = resolutionOf(se);
    const targetPorts: Record<number, number> = {};
    for (const p of se.spec?.ports ?? []) if (p.targetPort !== undefined) targetPorts[p.number] = p.targetPort;
    for (const host of se.spec?.hosts ?? []) {
      if (taken.has(host)) continue;
      taken.add(host);
      const parent: RouteParent = { kind: 'ServiceEntry', namespace: ns, name: se.metadata.name, hostname: host };
      // The inbound lookup, as for a Service's chains (the entry's namespace as the service's).
      const rule = rules?.lookup(ctx.waypoint.namespace, host, ns);
      const hash = defaultHash(rule);
      const ports: ServicePortIR[] = [];
      for (const p of se.spec?.ports ?? []) {
        const proto = serviceEntryProtocol(p);
        if (!portServed(se, host, proto, wildcardTls)) continue;
        const protocol = chainKind(proto);
        const http = protocol === 'tcp' ? { routes: [], outbound: [] } : httpRoutesFor(ctx, parent, { port: p.number });
        const tcp = protocol === 'http' ? { tcp: [], outbound: [] } : tcpRoutesFor(ctx, parent, { port: p.number });
        for (const o of [...http.outbound, ...tcp.outbound]) outbound.set(o.cluster, o);
        const { endpoints, workloads } = serviceEntryPortEndpoints(ctx, se, host, p);
        const destination = rule && serviceEntryDestination(ctx, rule, se, p.number, endpoints, workloads);
        const locality = destination ? {} : serviceEntryLocality(ctx, se, endpoints, workloads);
        const tcpProxy = rules && protocol !== 'http' ? tcpProxyFor(ctx, rules, host, tcp.tcp) : undefined;
        ports.push({
          port: p.number,
          name: p.name,
          protocol,
          istioProtocol: proto,
          endpoints,
          httpRoutes: rules ? withHashPolicies(ctx, rules, http.routes) : http.routes,
          tcpRoutes: tcp.tcp,
          policy,
          ...(destination ? { destination } : {}),
          ...locality,
          ...(hash ? { defaultHash: hash } : {}),
          ...(tcpProxy ? { tcpProxy } : {}),
        });
      }
      out.push({
        hostname: host,
        namespace: ns,
        name: host,
        vips: waypointVips(se, host),
        ports,
        serviceEntry: { resolution, raceFirstConnect: racesFirstConnect(se), targetPorts },
      });
    }
  }
  return out;
}
