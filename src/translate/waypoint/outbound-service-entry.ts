import { type ServiceEntry, readObject } from '../../model';
import type { WaypointContext } from '../context';
import type { OutboundClusterIR } from '../ir';
import { outbound as outboundName } from '../names';
import { entriesDeclaring } from '../service-entry-hosts';
import {
  isWildcardHost,
  racesFirstConnect,
  resolutionOf,
  serviceEntryEndpoints,
  serviceEntryProtocol,
  type ServiceEntryPort,
} from './service-entries';

// The `outbound|<port>||<host>` clusters of a ServiceEntry host this waypoint
// does not serve (another waypoint does, or none): istiod's waypoint builds
// them for every service its routes and extensions reach
// (cluster.go: BuildClusters, `case model.Waypoint` →
// waypoint.go: filterWaypointOutboundServices → cluster.go: buildOutboundClusters),
// an entry's host being one service (serviceentry/conversion.go: convertServices).

/**
 * cluster.go: buildOutboundClusters — whether a port of the host gets an
 * outbound cluster: never UDP; a wildcard DYNAMIC_DNS host (a dynamic forward
 * proxy cluster) only on HTTP, TLS, gRPC and HTTP/2 ports.
 */
function hasOutboundCluster(se: ServiceEntry, host: string, port: ServiceEntryPort): boolean {
  const proto = serviceEntryProtocol(port);
  if (proto === 'udp') return false;
  if (resolutionOf(se) !== 'DYNAMIC_DNS' || !isWildcardHost(host)) return true;
  return proto === 'http' || proto === 'tls' || proto === 'grpc' || proto === 'http2';
}

/**
 * The outbound cluster of one port of an entry's host, typed by the entry's
 * resolution (cluster.go: convertResolution); undefined for a port
 * buildOutboundClusters skips.
 */
export function serviceEntryOutbound(
  ctx: WaypointContext,
  se: ServiceEntry,
  host: string,
  port: ServiceEntryPort,
): OutboundClusterIR | undefined {
  if (!hasOutboundCluster(se, host, port)) return undefined;
  const cluster = outboundName(port.number, host);
  const targetPorts: Record<number, number> = port.targetPort !== undefined ? { [port.number]: port.targetPort } : {};
  return {
    cluster,
    hostname: host,
    port: port.number,
    endpoints: serviceEntryEndpoints(ctx, se, host, port),
    protocol: serviceEntryProtocol(port),
    serviceEntry: {
      resolution: resolutionOf(se),
      raceFirstConnect: racesFirstConnect(se),
      targetPorts,
      namespace: se.metadata.namespace,
      entry: se.metadata.name,
      ...(isMeshExternal(se) ? { meshExternal: true as const } : {}),
    },
  };
}

/** ServiceEntry.location defaults to MESH_EXTERNAL (its zero value). */
function isMeshExternal(se: ServiceEntry): boolean {
  return se.spec?.location !== 'MESH_INTERNAL';
}

/**
 * The outbound cluster a route naming a host this waypoint itself serves
 * also brings: none for a mesh-internal entry (the route's inbound-vip
 * cluster is all it needs), but for a mesh-external one istiod keeps the
 * host among the waypoint's outbound services (waypoint.go:
 * filterWaypointOutboundServices, `!f || ws.MeshExternal`) and so builds its
 * `outbound|<port>||<host>` clusters, every port and subset, though no route
 * sends to them (cluster.go: BuildClusters → buildOutboundClusters).
 */
export function servedEntryOutbound(
  ctx: WaypointContext,
  se: ServiceEntry,
  host: string,
  port: ServiceEntryPort | undefined,
): OutboundClusterIR | undefined {
  if (!isMeshExternal(se)) return undefined;
  // The host is kept whatever port the route named: one cluster here, the
  // others added by completeServiceEntryPorts.
  for (const p of port ? [port, ...(se.spec?.ports ?? [])] : (se.spec?.ports ?? [])) {
    const o = serviceEntryOutbound(ctx, se, host, p);
    if (o) return o;
  }
  return undefined;
}

/**
 * Every port of each ServiceEntry host the waypoint reaches outbound, not
 * only the port a route named: buildOutboundClusters loops the service's
 * ports. `outbound` is completed in place; subset clusters come later
 * (outbound-subsets.ts).
 */
export function completeServiceEntryPorts(ctx: WaypointContext, outbound: Map<string, OutboundClusterIR>): void {
  const seen = new Set<string>();
  for (const o of [...outbound.values()]) {
    const ref = o.serviceEntry;
    if (!ref?.entry || o.subset || seen.has(o.hostname)) continue;
    seen.add(o.hostname);
    const se = readObject(ctx, 'ServiceEntry', ref.namespace, ref.entry);
    for (const p of se?.spec?.ports ?? []) {
      if (!se || outbound.has(outboundName(p.number, o.hostname))) continue;
      const more = serviceEntryOutbound(ctx, se, o.hostname, p);
      if (more) outbound.set(more.cluster, more);
    }
  }
}

/**
 * telemetry_logging.go: LookupCluster for a provider `service` naming a
 * ServiceEntry host (`<ns>/<host>`, or a host declared in one namespace
 * only): the host's outbound cluster on `port`, which istiod's waypoint
 * builds as an extra service (push_context.go: ExtraWaypointServices →
 * filterWaypointOutboundServices), whether or not the waypoint serves the
 * host. Undefined when no entry, several namespaces, or no such port of the
 * entry answer.
 */
export function providerEntryOutbound(
  ctx: WaypointContext,
  service: string,
  port: number,
): OutboundClusterIR | undefined {
  const parts = service.split('/');
  const host = parts.length === 2 ? (parts[1] ?? '') : service;
  const want = parts.length === 2 ? parts[0] : undefined;
  const entries = entriesDeclaring(ctx.world, host, ctx.reads).filter(
    (se) => want === undefined || se.metadata.namespace === want,
  );
  if (new Set(entries.map((se) => se.metadata.namespace)).size !== 1) return undefined;
  // One namespace: istiod's index keeps one service per host and namespace; the first entry by name here.
  const se = [...entries].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))[0];
  const p = se?.spec?.ports?.find((x) => x.number === port);
  return se && p ? serviceEntryOutbound(ctx, se, host, p) : undefined;
}
