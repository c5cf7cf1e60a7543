import type { TypeMap } from '../../envoy';
import type { EndpointIR, OutboundClusterIR, ServiceIR } from '../ir';
import { struct } from '../common';
import * as names from '../names';
import { chainProtocols } from './clusters';
import { fromInput, type Recipe } from '../recipe';
import type { LocalityLbIR } from './locality-lb';
import { applyLocalityPlan } from './locality-assignment';

type Assignment = TypeMap['envoy.config.endpoint.v3.ClusterLoadAssignment'];
type LbEndpoint = TypeMap['envoy.config.endpoint.v3.LbEndpoint'];

/**
 * In-mesh pods are reached through the connect_originate internal listener,
 * which opens an HBONE tunnel to the address in the endpoint's metadata.
 * Pods outside the mesh get a plain socket address.
 */
function lbEndpoint(e: EndpointIR): LbEndpoint {
  const target = names.hostPort(e.ip, e.port);
  const w = e.workload;
  return {
    endpoint: {
      address: e.inMesh
        ? { envoy_internal_address: { server_listener_name: names.CONNECT_ORIGINATE, endpoint_id: target } }
        : { socket_address: { address: e.ip, port_value: e.port } },
    },
    health_status: e.ready ? 'HEALTHY' : 'UNHEALTHY',
    load_balancing_weight: { value: 1 },
    metadata: {
      filter_metadata: {
        [names.ORIGINAL_DST_METADATA]: struct({ local: target }),
        [names.ISTIO_METADATA]: struct({
          workload: names.workloadMetadata(w.name, w.namespace, w.canonicalName, w.canonicalRevision, w.cluster),
        }),
      },
    },
  };
}

function localityOf(e: EndpointIR): { region: string; zone: string; sub_zone: string } {
  const [region = '', zone = '', subZone = ''] = (e.locality ?? '').split('/');
  return { region, zone, sub_zone: subZone };
}

export function assignment(cluster: string, endpoints: readonly EndpointIR[], plan?: LocalityLbIR): Assignment {
  const groups = new Map<string, EndpointIR[]>();
  const sorted = [...endpoints].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
  for (const e of sorted) {
    const key = e.locality ?? '';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(e);
  }
  if (plan) {
    // Priorities and weights by the waypoint's locality (locality-lb.ts).
    const shaped = applyLocalityPlan(
      [...groups.keys()].sort().map((k) => {
        const es = groups.get(k) ?? [];
        const l = localityOf(es[0] as EndpointIR);
        return {
          locality: { region: l.region, zone: l.zone, subzone: l.sub_zone },
          endpoints: es,
          weight: es.length,
          priority: 0,
        };
      }),
      plan,
    );
    return {
      cluster_name: cluster,
      endpoints: shaped.map((g) => ({
        locality: { region: g.locality.region, zone: g.locality.zone, sub_zone: g.locality.subzone },
        lb_endpoints: g.endpoints.map(lbEndpoint),
        load_balancing_weight: { value: g.weight },
        ...(g.priority > 0 ? { priority: g.priority } : {}),
      })),
    };
  }
  return {
    cluster_name: cluster,
    endpoints: [...groups.keys()].sort().map((k) => {
      const es = groups.get(k) ?? [];
      // endpoint_builder.go: a locality's weight is the sum of its endpoints' (each 1).
      return {
        locality: localityOf(es[0] as EndpointIR),
        lb_endpoints: es.map(lbEndpoint),
        load_balancing_weight: { value: es.length },
      };
    }),
  };
}

/**
 * What an assignment is built from besides its cluster's name: its endpoints,
 * and its locality plan when it has one. Without one the input is the IR's
 * own endpoint list, which an unchanged part passes again: compared at once.
 */
type AssignmentInput = readonly EndpointIR[] | { endpoints: readonly EndpointIR[]; plan: LocalityLbIR };

const assignmentOf = (i: AssignmentInput, name: string): Assignment =>
  isPlain(i) ? assignment(name, i) : assignment(name, i.endpoints, i.plan);
const isPlain = (i: AssignmentInput): i is readonly EndpointIR[] => Array.isArray(i);

const recipe = (name: string, endpoints: readonly EndpointIR[], plan?: LocalityLbIR): Recipe<Assignment> =>
  fromInput<AssignmentInput, Assignment>(name, plan ? { endpoints, plan } : endpoints, assignmentOf);

/**
 * A served service's assignments, one per EDS cluster and named like it,
 * with the IR each is built from; they read nothing but `svc`. Only EDS
 * clusters take one (a ServiceEntry's DNS clusters carry theirs).
 */
export function serviceEndpointRecipes(svc: ServiceIR): Recipe<Assignment>[] {
  const out: Recipe<Assignment>[] = [];
  if (svc.serviceEntry && svc.serviceEntry.resolution !== 'STATIC') return out;
  for (const p of svc.ports) {
    for (const proto of chainProtocols(p.protocol)) {
      out.push(
        recipe(names.inboundVip(p.port, proto, svc.hostname), p.endpoints, p.destination?.localityLb ?? p.localityLb),
      );
      for (const s of p.destination?.subsets ?? [])
        out.push(recipe(names.inboundVip(p.port, proto, svc.hostname, s.name), s.endpoints, s.localityLb));
    }
  }
  return out;
}

/** An outbound cluster's assignment, when it is an EDS cluster; it reads nothing but `o`. */
export function outboundEndpointRecipes(o: OutboundClusterIR): Recipe<Assignment>[] {
  return !o.serviceEntry || o.serviceEntry.resolution === 'STATIC'
    ? [recipe(o.cluster, o.endpoints, o.destination?.localityLb ?? o.localityLb)]
    : [];
}
