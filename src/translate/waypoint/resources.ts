import { PreparedResource, TypeUrl, typeUrlOf, type MessageName, type TypeMap } from '../../envoy';
import type { OutboundClusterIR, ServiceIR, WaypointIR } from '../ir';
import { outboundClusterRecipe, serviceClusterRecipes, waypointClusterRecipes } from './clusters';
import { outboundEndpointRecipes, serviceEndpointRecipes } from './endpoints';
import { listenerRecipes } from './listeners';
import type { Recipe } from '../recipe';
import { defaultRetryOf, directHttpRecipe, serviceRouteRecipes } from './routes';
import { Reuse, type Encoded } from '../reuse';

/** A waypoint's resources by type URL, each list sorted by name; a list may be the last build's very array. */
export type ResourceSet = Map<string, readonly PreparedResource[]>;

export interface Built {
  resources: ResourceSet;
  /** What each resource was built from, for the next translation to reuse unchanged encodings. */
  encoded: Encoded;
}

type Recipes<N extends MessageName, P, C> = (piece: P, context: C) => Recipe<TypeMap[N]>[];

/**
 * One type's resources, sorted by name: the waypoint's own recipes, then
 * each served service's and each outbound cluster's, prepared by piece so
 * that a part of the IR an edit did not rebuild brings back its resources
 * whole (Reuse.group), and anything else keeps its last encoding when its
 * input is unchanged (Reuse.prepare). `context` is what the pieces' recipes
 * read of the waypoint besides the piece.
 */
function cook<N extends MessageName, C>(
  message: N,
  ir: WaypointIR,
  reuse: Reuse,
  own: readonly Recipe<TypeMap[N]>[],
  context: C,
  perService: Recipes<N, ServiceIR, C>,
  perOutbound?: Recipes<N, OutboundClusterIR, C>,
): readonly PreparedResource[] {
  const out = own.map((r) => reuse.prepare(message, r));
  // Slots by what names a piece across builds: a service's host, an outbound
  // cluster's name (`outbound|…`, never a host), both strings the IR already holds.
  for (const svc of ir.services) out.push(...reuse.group(message, svc, svc.hostname, perService, context));
  if (perOutbound) for (const o of ir.outbound) out.push(...reuse.group(message, o, o.cluster, perOutbound, context));
  return reuse.sorted(typeUrlOf(message), out);
}

/** A waypoint's clusters, as buildResourcesFrom makes them (the benchmark times this step alone). */
export function clusterResources(ir: WaypointIR, reuse = new Reuse()): readonly PreparedResource[] {
  return cook(
    'envoy.config.cluster.v3.Cluster',
    ir,
    reuse,
    waypointClusterRecipes(ir),
    null,
    serviceClusterRecipes,
    (o) => [outboundClusterRecipe(o)],
  );
}

/** IR → encoded Envoy resources by type URL, reusing `prev`'s encodings where the input is unchanged. */
export function buildResourcesFrom(ir: WaypointIR, prev?: Encoded): Built {
  const reuse = new Reuse(prev);
  const retry = defaultRetryOf(ir);
  const resources: ResourceSet = new Map([
    [TypeUrl.Cluster, clusterResources(ir, reuse)],
    [
      TypeUrl.Endpoint,
      cook(
        'envoy.config.endpoint.v3.ClusterLoadAssignment',
        ir,
        reuse,
        [],
        null,
        serviceEndpointRecipes,
        outboundEndpointRecipes,
      ),
    ],
    [TypeUrl.Listener, listenerRecipes(ir).map((r) => reuse.prepare('envoy.config.listener.v3.Listener', r))],
    [
      TypeUrl.Route,
      cook(
        'envoy.config.route.v3.RouteConfiguration',
        ir,
        reuse,
        [directHttpRecipe(retry)],
        retry,
        serviceRouteRecipes,
      ),
    ],
  ]);
  return { resources, encoded: reuse.next };
}

/** IR → encoded Envoy resources by type URL, each list sorted by name. */
export function buildResources(ir: WaypointIR): ResourceSet {
  return buildResourcesFrom(ir).resources;
}
