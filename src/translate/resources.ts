import { prepare, TypeUrl, type PreparedResource } from '../envoy';
import type { WaypointIR } from './ir';
import { buildClusters } from './clusters';
import { buildEndpoints } from './endpoints';
import { buildListeners } from './listeners';
import { buildRoutes } from './routes';

export type ResourceSet = Map<string, PreparedResource[]>;

/** IR → encoded Envoy resources by type URL, each list sorted by name. */
export function buildResources(ir: WaypointIR): ResourceSet {
  return new Map([
    [TypeUrl.Cluster, buildClusters(ir).map((c) => prepare('envoy.config.cluster.v3.Cluster', c.name ?? '', c))],
    [
      TypeUrl.Endpoint,
      buildEndpoints(ir).map((e) => prepare('envoy.config.endpoint.v3.ClusterLoadAssignment', e.cluster_name ?? '', e)),
    ],
    [TypeUrl.Listener, buildListeners(ir).map((l) => prepare('envoy.config.listener.v3.Listener', l.name ?? '', l))],
    [TypeUrl.Route, buildRoutes(ir).map((r) => prepare('envoy.config.route.v3.RouteConfiguration', r.name ?? '', r))],
  ]);
}
