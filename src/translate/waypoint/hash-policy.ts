import type { TypeMap } from '../../envoy';
import type { ConsistentHashLB } from '../../model';
import { duration } from './cluster-policy';
import type { TcpProxyIR } from '../ir';

type Route = TypeMap['envoy.config.route.v3.Route'];
type HashPolicy = NonNullable<NonNullable<Route['route']>['hash_policy']>[number];
type RetryPolicy = NonNullable<NonNullable<Route['route']>['retry_policy']>;
type TcpProxy = TypeMap['envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy'];

/** route.go: ConsistentHashToHashPolicy — what a route hashes on for a consistent-hash DestinationRule. */
export function hashPolicy(ch: ConsistentHashLB): HashPolicy {
  if (ch.httpHeaderName !== undefined) return { header: { header_name: ch.httpHeaderName } };
  if (ch.httpCookie) {
    const c = ch.httpCookie;
    return {
      cookie: {
        name: c.name,
        ...(c.ttl ? { ttl: duration(c.ttl) } : {}),
        ...(c.path ? { path: c.path } : {}),
        ...(c.attributes && c.attributes.length > 0
          ? { attributes: c.attributes.map((a) => ({ name: a.name, value: a.value ?? '' })) }
          : {}),
      },
    };
  }
  if (ch.useSourceIp !== undefined) return { connection_properties: { source_ip: ch.useSourceIp } };
  if (ch.httpQueryParameterName !== undefined) return { query_parameter: { name: ch.httpQueryParameterName } };
  return {};
}

/** retry.go: ConvertPolicy with a hash policy — retries may go back to the same host. */
export function withoutHostPredicate(p: RetryPolicy): RetryPolicy {
  const { retry_host_predicate: _drop, ...rest } = p;
  return rest;
}

/** listener_waypoint.go: buildWaypointNetworkFilters — a DestinationRule's fields on tcp_proxy. */
export function tcpProxySettings(s: TcpProxyIR): Partial<TcpProxy> {
  return {
    ...(s.idleTimeout ? { idle_timeout: duration(s.idleTimeout) } : {}),
    ...(s.maxConnectionDuration ? { max_downstream_connection_duration: duration(s.maxConnectionDuration) } : {}),
    ...(s.sourceIpHash ? { hash_policy: [{ source_ip: {} }] } : {}),
    ...(s.tunnel ? { tunneling_config: { hostname: s.tunnel.hostname, use_post: s.tunnel.usePost } } : {}),
  };
}
