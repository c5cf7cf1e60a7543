import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pack, prepare, validateMessage } from '../../src/envoy';

const paths = (v: { path: string; message: string }[]) =>
  v.map((x) => `${x.path.split('.').slice(-2).join('.')}: ${x.message}`);

describe('validate.rules checker', () => {
  it('accepts a valid resource', () => {
    const r = prepare('envoy.config.cluster.v3.Cluster', 'c', {
      name: 'c',
      type: 'EDS',
      connect_timeout: { seconds: 1 },
      eds_cluster_config: { eds_config: { ads: {} } },
    });
    assert.deepEqual(validateMessage('envoy.config.cluster.v3.Cluster', r.body), []);
  });

  it('reports string, duration, oneof and repeated violations with paths', () => {
    const c = prepare('envoy.config.cluster.v3.Cluster', '', { name: '', connect_timeout: { seconds: -1 } });
    assert.deepEqual(paths(validateMessage('envoy.config.cluster.v3.Cluster', c.body)), [
      'Cluster.name: must have at least 1 characters',
      'Cluster.connect_timeout: must be longer than 0s',
    ]);
    const r = prepare('envoy.config.route.v3.RouteConfiguration', 'r', {
      name: 'r',
      virtual_hosts: [
        { name: 'v', domains: ['*'], routes: [{ match: {}, route: { weighted_clusters: { clusters: [] } } }] },
      ],
    });
    assert.deepEqual(paths(validateMessage('envoy.config.route.v3.RouteConfiguration', r.body)), [
      'match.path_specifier: one of the choices is required',
      'weighted_clusters.clusters: needs at least 1 items',
    ]);
  });

  it('descends into typed_config Anys and flags deprecated fields', () => {
    const l = prepare('envoy.config.listener.v3.Listener', 'l', {
      name: 'l',
      filter_chains: [
        {
          filters: [
            {
              name: 't',
              typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {
                stat_prefix: 's',
                cluster: 'c',
              }),
            },
          ],
        },
      ],
      deprecated_v1: { bind_to_port: { value: true } },
    });
    const v = validateMessage('envoy.config.listener.v3.Listener', l.body);
    assert.deepEqual(paths(v), ['Listener.deprecated_v1: deprecated field is set']);
  });
});
