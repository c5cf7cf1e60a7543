import { PreparedResource, TypeUrl, type MessageName, type TypeMap } from '../../envoy';
import type { WaypointIR } from '../ir';
import { clusterRecipes } from './clusters';
import { endpointRecipes } from './endpoints';
import { listenerRecipes } from './listeners';
import type { Recipe } from '../recipe';
import { routeRecipes } from './routes';
import { Reuse, type Encoded } from '../reuse';

export type ResourceSet = Map<string, PreparedResource[]>;

export interface Built {
  resources: ResourceSet;
  /** What each resource was built from, for the next translation to reuse unchanged encodings. */
  encoded: Encoded;
}

/** Each recipe's resource: the previous translation's when its input is unchanged (see Reuse). */
function cook<N extends MessageName>(message: N, recipes: Recipe<TypeMap[N]>[], reuse: Reuse): PreparedResource[] {
  return recipes.map((r) => reuse.prepare(message, r));
}

/** A waypoint's clusters, as buildResourcesFrom makes them (the benchmark times this step alone). */
export function clusterResources(ir: WaypointIR, reuse = new Reuse()): PreparedResource[] {
  return cook('envoy.config.cluster.v3.Cluster', clusterRecipes(ir), reuse);
}

/** IR → encoded Envoy resources by type URL, reusing `prev`'s encodings where the input is unchanged. */
export function buildResourcesFrom(ir: WaypointIR, prev?: Encoded): Built {
  const reuse = new Reuse(prev);
  const resources: ResourceSet = new Map([
    [TypeUrl.Cluster, clusterResources(ir, reuse)],
    [TypeUrl.Endpoint, cook('envoy.config.endpoint.v3.ClusterLoadAssignment', endpointRecipes(ir), reuse)],
    [TypeUrl.Listener, cook('envoy.config.listener.v3.Listener', listenerRecipes(ir), reuse)],
    [TypeUrl.Route, cook('envoy.config.route.v3.RouteConfiguration', routeRecipes(ir), reuse)],
  ]);
  return { resources, encoded: reuse.next };
}

/** IR → encoded Envoy resources by type URL, each list sorted by name. */
export function buildResources(ir: WaypointIR): ResourceSet {
  return buildResourcesFrom(ir).resources;
}
