import { createHash } from 'node:crypto';
import { prepare, TypeUrl, type MessageName, type PreparedResource, type TypeMap } from '../envoy';
import type { WaypointIR } from './ir';
import { buildClusters } from './clusters';
import { endpointRecipes } from './endpoints';
import { listenerRecipes } from './listeners';
import type { Recipe } from './recipe';
import { routeRecipes } from './routes';

export type ResourceSet = Map<string, PreparedResource[]>;

/** By `type\0name`: a hash of the IR input each resource was built from. */
export type BuiltFrom = ReadonlyMap<string, string>;

export interface Built {
  resources: ResourceSet;
  builtFrom: BuiltFrom;
}

const inputHash = (input: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(input) ?? '')
    .digest('base64url');

/**
 * Encodes each recipe, or takes the previous translation's resource of the
 * same name when its input hashes the same: most of one waypoint's resources
 * do not change with one edit, and encoding them is most of translating it.
 */
function cook<N extends MessageName>(
  type: string,
  message: N,
  recipes: Recipe<TypeMap[N]>[],
  prev: Built | undefined,
  builtFrom: Map<string, string>,
): PreparedResource[] {
  const old = new Map((prev?.resources.get(type) ?? []).map((r) => [r.name, r]));
  return recipes.map((r) => {
    const key = `${type}\0${r.name}`;
    const hash = inputHash(r.input);
    builtFrom.set(key, hash);
    const reused = prev?.builtFrom.get(key) === hash ? old.get(r.name) : undefined;
    return reused ?? prepare(message, r.name, r.build());
  });
}

/** IR → encoded Envoy resources by type URL, reusing `prev`'s encodings where the input is unchanged. */
export function buildResourcesFrom(ir: WaypointIR, prev?: Built): Built {
  const builtFrom = new Map<string, string>();
  const resources: ResourceSet = new Map([
    // Clusters are few and cheap to build; they are always built.
    [TypeUrl.Cluster, buildClusters(ir).map((c) => prepare('envoy.config.cluster.v3.Cluster', c.name ?? '', c))],
    [
      TypeUrl.Endpoint,
      cook(TypeUrl.Endpoint, 'envoy.config.endpoint.v3.ClusterLoadAssignment', endpointRecipes(ir), prev, builtFrom),
    ],
    [
      TypeUrl.Listener,
      cook(TypeUrl.Listener, 'envoy.config.listener.v3.Listener', listenerRecipes(ir), prev, builtFrom),
    ],
    [TypeUrl.Route, cook(TypeUrl.Route, 'envoy.config.route.v3.RouteConfiguration', routeRecipes(ir), prev, builtFrom)],
  ]);
  return { resources, builtFrom };
}

/** IR → encoded Envoy resources by type URL, each list sorted by name. */
export function buildResources(ir: WaypointIR): ResourceSet {
  return buildResourcesFrom(ir).resources;
}
