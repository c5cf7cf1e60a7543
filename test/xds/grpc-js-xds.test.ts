// The real, independently written xDS client: @grpc/grpc-js-xds resolves
// xds:/// targets through our server and routes actual calls by what we serve.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { pack, prepare, TypeUrl, type PreparedResource } from '../../src/envoy';
import { hello, startEcho } from '../support/echo-backend';
import { startXds, waitFor } from '../support/xds-harness';

grpcXds.register();

function bootstrap(port: number, nodeId: string): string {
  return JSON.stringify({
    xds_servers: [
      { server_uri: `127.0.0.1:${port}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    node: { id: nodeId, locality: { region: 'test', zone: 'z1' } },
  });
}

function listener(name: string, routeName: string): PreparedResource {
  return prepare('envoy.config.listener.v3.Listener', name, {
    name,
    api_listener: {
      api_listener: pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
        rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: routeName },
        http_filters: [{ name: 'router', typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}) }],
      }),
    },
  });
}

function routes(name: string): PreparedResource {
  return prepare('envoy.config.route.v3.RouteConfiguration', name, {
    name,
    virtual_hosts: [
      {
        name: 'echo',
        domains: ['*'],
        routes: [
          {
            match: { prefix: '/test.Echo/', headers: [{ name: 'x-variant', string_match: { exact: 'b' } }] },
            route: { cluster: 'echo-b' },
          },
          { match: { prefix: '/' }, route: { cluster: 'echo-a' } },
        ],
      },
    ],
  });
}

function edsCluster(name: string, lbPolicy: 'ROUND_ROBIN' | 'LEAST_REQUEST' = 'ROUND_ROBIN'): PreparedResource {
  return prepare('envoy.config.cluster.v3.Cluster', name, {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    lb_policy: lbPolicy,
  });
}

function assignment(name: string, port: number): PreparedResource {
  return prepare('envoy.config.endpoint.v3.ClusterLoadAssignment', name, {
    cluster_name: name,
    endpoints: [
      {
        locality: { region: 'test', zone: 'z1' },
        load_balancing_weight: { value: 1 },
        lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }],
      },
    ],
  });
}

describe('@grpc/grpc-js-xds against our server', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  let a: Awaited<ReturnType<typeof startEcho>>;
  let b: Awaited<ReturnType<typeof startEcho>>;
  let xdsPort: number;
  before(async () => {
    x = await startXds();
    xdsPort = Number(x.address.split(':')[1]);
    a = await startEcho('backend-a');
    b = await startEcho('backend-b');
  });
  after(async () => {
    await a.close();
    await b.close();
    await x.close();
  });

  function setGood(node: string) {
    x.set(node, {
      [TypeUrl.Listener]: [listener('echo.test.svc:9000', 'echo-routes')],
      [TypeUrl.Route]: [routes('echo-routes')],
      [TypeUrl.Cluster]: [edsCluster('echo-a'), edsCluster('echo-b')],
      [TypeUrl.Endpoint]: [assignment('echo-a', a.port), assignment('echo-b', b.port)],
    });
  }

  it('receives LDS/RDS/CDS/EDS, ACKs everything and routes real calls by them', async () => {
    const node = 'client-good';
    setGood(node);
    const client = new grpc.Client('xds:///echo.test.svc:9000', grpc.credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrap(xdsPort, node),
    } as grpc.ClientOptions);
    try {
      assert.equal(await hello(client), 'backend-a');
      const md = new grpc.Metadata();
      md.set('x-variant', 'b');
      assert.equal(await hello(client, md), 'backend-b');
      const conn = [...x.server.connections.values()].find((c) => c.proxy?.nodeId === node)!;
      await waitFor(() => [...conn.states.values()].every((s) => s.status() === 'SYNCED'), 3000, 'all types SYNCED');
      assert.deepEqual(
        [...conn.states.keys()].sort(),
        [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener, TypeUrl.Route].sort(),
      );
      assert.ok(!x.logs.some((l) => l.msg === 'proxy rejected configuration' && l.proxy === node), 'no NACK');
      // A route change reaches the client without reconnecting.
      x.set(node, {
        [TypeUrl.Route]: [
          prepare('envoy.config.route.v3.RouteConfiguration', 'echo-routes', {
            name: 'echo-routes',
            virtual_hosts: [
              { name: 'echo', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'echo-b' } }] },
            ],
          }),
        ],
      });
      const deadline = Date.now() + 5000;
      let got = '';
      while (Date.now() < deadline && (got = await hello(client)) !== 'backend-b')
        await new Promise((r) => setTimeout(r, 20));
      assert.equal(got, 'backend-b');
    } finally {
      client.close();
    }
  });

  it('NACKs an invalid cluster, and the rejection shows in syncz state', async () => {
    const node = 'client-bad';
    setGood(node);
    x.set(node, { [TypeUrl.Cluster]: [edsCluster('echo-a', 'LEAST_REQUEST'), edsCluster('echo-b')] });
    const client = new grpc.Client('xds:///echo.test.svc:9000', grpc.credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrap(xdsPort, node),
    } as grpc.ClientOptions);
    try {
      client.getChannel().getConnectivityState(true);
      await waitFor(
        () =>
          x.server
            .syncz()
            .some((cfg) => cfg.node?.id === node && cfg.generic_xds_configs?.some((g) => g.config_status === 'ERROR')),
        5000,
        'syncz to show the NACK',
      );
      const cfg = x.server.syncz().find((c) => c.node?.id === node)!;
      const cds = cfg.generic_xds_configs!.find((g) => g.type_url === TypeUrl.Cluster)!;
      assert.equal(cds.config_status, 'ERROR');
      assert.match(String(cds.error_state?.details), /unsupported lb_policy: LEAST_REQUEST/);
      const line = x.logs.find((l) => l.msg === 'proxy rejected configuration' && l.proxy === node);
      assert.ok(line, 'NACK logged with the proxy name');
      assert.deepEqual(line.resources, ['echo-a', 'echo-b']);
    } finally {
      client.close();
    }
  });
});
