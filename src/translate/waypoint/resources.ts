import { countEncode, prepare, PreparedResource, TypeUrl, type MessageName, type TypeMap } from '../../envoy';
import type { WaypointIR } from '../ir';
import { clusterRecipes } from './clusters';
import { endpointRecipes } from './endpoints';
import { listenerRecipes } from './listeners';
import type { Recipe } from '../recipe';
import { routeRecipes } from './routes';
import { sameInput } from '../same-input';

export type ResourceSet = Map<string, PreparedResource[]>;

/**
 * By type URL: the IR input each resource was built from, in the order of
 * that type's resources. Inputs are pieces of the IR, which the translation
 * keeps anyway, and are never modified once built. (A list beside the
 * resources rather than a map by name: a cold build then keys nothing.)
 */
export type BuiltFrom = ReadonlyMap<string, readonly unknown[]>;

export interface Built {
  resources: ResourceSet;
  builtFrom: BuiltFrom;
}

/**
 * Encodes each recipe, or takes the previous translation's resource of the
 * same name when its input is equal: most of one waypoint's resources do not
 * change with one edit, and encoding them is most of translating it. Inputs
 * are compared only when there is a previous resource to reuse, so a cold
 * build spends nothing on it.
 */
function cook<N extends MessageName>(
  type: string,
  message: N,
  recipes: Recipe<TypeMap[N]>[],
  prev: Built | undefined,
  builtFrom: Map<string, readonly unknown[]>,
): PreparedResource[] {
  const oldResources = prev?.resources.get(type) ?? [];
  const oldInputs = prev?.builtFrom.get(type);
  const old = oldInputs ? new Map(oldResources.map((r, i) => [r.name, i])) : undefined;
  const inputs: unknown[] = new Array<unknown>(recipes.length);
  builtFrom.set(type, inputs);
  return recipes.map((r, i) => {
    inputs[i] = r.input;
    const j = old?.get(r.name);
    if (j !== undefined && oldInputs && j < oldInputs.length && sameInput(oldInputs[j], r.input)) {
      const reused = oldResources[j];
      if (reused) return reused;
    }
    if (!r.encode) return prepare(message, r.name, r.build());
    countEncode(type);
    return new PreparedResource(type, r.name, r.encode());
  });
}

/** A waypoint's clusters, as buildResourcesFrom makes them (the benchmark times this step alone). */
export function clusterResources(
  ir: WaypointIR,
  prev?: Built,
  builtFrom = new Map<string, readonly unknown[]>(),
): PreparedResource[] {
  return cook(TypeUrl.Cluster, 'envoy.config.cluster.v3.Cluster', clusterRecipes(ir), prev, builtFrom);
}

/** IR → encoded Envoy resources by type URL, reusing `prev`'s encodings where the input is unchanged. */
export function buildResourcesFrom(ir: WaypointIR, prev?: Built): Built {
  const builtFrom = new Map<string, readonly unknown[]>();
  const resources: ResourceSet = new Map([
    [TypeUrl.Cluster, clusterResources(ir, prev, builtFrom)],
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
