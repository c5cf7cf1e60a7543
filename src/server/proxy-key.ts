import type { Logger } from 'pino';
import type { AmbientIndex } from '../ambient';
import type { Json } from '../envoy';
import { LABEL, type World } from '../model';
import type { ProxyInfo } from '../xds';
import { placedKey } from './proxy-place';

/**
 * Which waypoint a connecting proxy is: its namespace (node id or NAMESPACE
 * metadata) and the gateway-name pod label, or failing that the Deployment
 * pod-name prefix (`<waypoint>-<replicaset>-<pod>`). Unknown proxies get no
 * configuration rather than someone else's.
 */
/** Every ztunnel gets the same workload-API view. */
export const ZTUNNEL_KEY = 'ztunnel';

/** Proxyless gRPC clients and servers (node metadata GENERATOR=grpc) share one view. */
export const PROXYLESS_KEY = 'grpc';

export function proxyKeyFor(
  p: ProxyInfo,
  index: AmbientIndex | undefined,
  log?: Logger,
  world?: World,
  rootNamespace?: string,
): string | undefined {
  if (p.proxyType === 'ztunnel') return ZTUNNEL_KEY;
  if (p.metadata['GENERATOR'] === 'grpc') return PROXYLESS_KEY;
  if (!index) return undefined;
  const ns = p.namespace || p.metadata['NAMESPACE'] || '';
  const label = p.labels[LABEL.gatewayName];
  if (label) {
    const key = `${ns}/${label}`;
    if (index.waypoints.has(key)) return placedKey(p, key, world, rootNamespace);
    log?.warn({ proxy: p.proxyId, waypoint: key }, 'proxy names a waypoint that does not exist (yet)');
    return undefined;
  }
  let best: string | undefined;
  for (const wp of index.waypoints.values()) {
    if (wp.namespace !== ns || !p.podName.startsWith(`${wp.name}-`)) continue;
    if (!best || wp.key.length > best.length) best = wp.key;
  }
  if (!best) log?.warn({ proxy: p.proxyId }, 'proxy matches no waypoint; serving it nothing');
  return best && placedKey(p, best, world, rootNamespace);
}

/** Every binding with its reason, for /debug/ambientz. */
export function ambientzJson(index: AmbientIndex | undefined): Json {
  if (!index) return { waypoints: [], bindings: [] };
  const waypoints: Json[] = [...index.waypoints.values()].map((w) => ({
    waypoint: w.key,
    trafficType: w.trafficType,
    ready: w.ready,
    addresses: w.addresses,
    services: index.servicesOf(w.key).map((s) => `${s.metadata.namespace}/${s.metadata.name}`),
    workloads: index.workloadsOf(w.key).map((s) => `${s.metadata.namespace}/${s.metadata.name}`),
  }));
  const bindings = [...index.bindings.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, b]): Json =>
      b.kind === 'bound'
        ? { object: key, waypoint: `${b.waypoint.namespace}/${b.waypoint.name}`, source: b.source }
        : { object: key, waypoint: null, reason: b.reason?.reason ?? null, message: b.reason?.message ?? null },
    );
  return { waypoints, bindings };
}
