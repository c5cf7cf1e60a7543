// Small, valid Envoy resources for transport tests, typed like the real thing.
import { prepare, type PreparedResource } from '../../src/envoy';

export function cluster(name: string, extra = ''): PreparedResource {
  return prepare('envoy.config.cluster.v3.Cluster', name, {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {} }, service_name: extra ? `${name}-${extra}` : '' },
    connect_timeout: { seconds: 5 },
  });
}

export function endpoints(name: string, ips: string[], port = 8080): PreparedResource {
  return prepare('envoy.config.endpoint.v3.ClusterLoadAssignment', name, {
    cluster_name: name,
    endpoints: [
      {
        locality: { region: 'r', zone: 'z' },
        lb_endpoints: ips.map((ip) => ({
          endpoint: { address: { socket_address: { address: ip, port_value: port } } },
          load_balancing_weight: { value: 1 },
        })),
      },
    ],
  });
}

export function route(name: string, clusterName: string, prefix = '/'): PreparedResource {
  return prepare('envoy.config.route.v3.RouteConfiguration', name, {
    name,
    virtual_hosts: [
      {
        name: `${name}-vh`,
        domains: ['*'],
        routes: [{ match: { prefix }, route: { cluster: clusterName } }],
      },
    ],
  });
}

/** A big resource for backpressure tests. */
export function bigCluster(name: string, bytes: number): PreparedResource {
  return prepare('envoy.config.cluster.v3.Cluster', name, {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {} }, service_name: name.padEnd(bytes, 'x') },
  });
}
