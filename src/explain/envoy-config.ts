// The resources of one waypoint as the evaluator reads them: decoded proto3
// JSON, whether rendered from the translator offline or read from a server's
// config dump. Lookups by name, and the clusters' endpoints.
import { arr, num, obj, str } from './matchers';

export interface EnvoyConfig {
  listeners: readonly unknown[];
  routes: readonly unknown[];
  clusters: readonly unknown[];
  endpoints: readonly unknown[];
}

export const byName = (list: readonly unknown[], name: string): Record<string, unknown> | undefined => {
  const found = list.find((x) => obj(x).name === name);
  return found === undefined ? undefined : obj(found);
};

// Envoy's dynamic forward proxy cluster extension, read, not emitted.
const DFP_CLUSTER = 'envoy.clusters.dynamic_forward_proxy';

export interface EndpointView {
  address: string;
  health: string;
  healthy: boolean;
  weight?: number;
  /** The workload the waypoint tunnels to (original_dst metadata), when it differs from the address. */
  workload?: string;
}

export interface ClusterView {
  name: string;
  found: boolean;
  type: string;
  endpoints: EndpointView[];
  /** Routed to the connection's own destination rather than to listed endpoints. */
  originalDestination: boolean;
  /** A dynamic forward proxy: the request's host, resolved when the request comes. */
  dynamicHost: boolean;
  /** healthy_panic_threshold: 0 turns panic routing off (Envoy's default is 50%). */
  panicThreshold: number;
}

function addressOf(e: Record<string, unknown>): string {
  const addr = obj(obj(e.endpoint).address);
  const sock = obj(addr.socketAddress);
  if (sock.address !== undefined) return `${str(sock.address)}:${num(sock.portValue) ?? ''}`;
  const internal = obj(addr.envoyInternalAddress);
  if (internal.serverListenerName !== undefined)
    return `internal listener ${str(internal.serverListenerName)}${internal.endpointId !== undefined ? ` (${str(internal.endpointId)})` : ''}`;
  const pipe = str(obj(addr.pipe).path);
  return pipe ?? 'unknown address';
}

// Envoy counts these as usable hosts (HealthStatus; DEGRADED is used when nothing better is left).
const USABLE = new Set(['UNKNOWN', 'HEALTHY', 'DEGRADED']);

function endpointsOf(cla: unknown): EndpointView[] {
  const out: EndpointView[] = [];
  for (const loc of arr(obj(cla).endpoints))
    for (const raw of arr(obj(loc).lbEndpoints)) {
      const e = obj(raw);
      const health = str(e.healthStatus) ?? 'UNKNOWN';
      const target = str(obj(obj(obj(e.metadata).filterMetadata)['envoy.filters.listener.original_dst']).local);
      out.push({
        address: addressOf(e),
        health,
        healthy: USABLE.has(health),
        ...(num(e.loadBalancingWeight) !== undefined ? { weight: num(e.loadBalancingWeight) } : {}),
        ...(target !== undefined ? { workload: target } : {}),
      });
    }
  return out;
}

/** A cluster and the endpoints Envoy would pick from (EDS by service name, or its own load assignment). */
export function clusterView(cfg: EnvoyConfig, name: string): ClusterView {
  const c = byName(cfg.clusters, name);
  if (!c)
    return {
      name,
      found: false,
      type: '',
      endpoints: [],
      originalDestination: false,
      dynamicHost: false,
      panicThreshold: 50,
    };
  const custom = str(obj(c.clusterType).name);
  const type = str(c.type) ?? (custom !== undefined ? custom : 'EDS');
  const pt = obj(obj(c.commonLbConfig).healthyPanicThreshold);
  const panicThreshold = obj(c.commonLbConfig).healthyPanicThreshold === undefined ? 50 : Number(pt.value ?? 0);
  let endpoints: EndpointView[] = [];
  if (type === 'EDS') {
    const service = str(obj(c.edsClusterConfig).serviceName) ?? name;
    const cla = cfg.endpoints.find((x) => obj(x).clusterName === service);
    endpoints = cla === undefined ? [] : endpointsOf(cla);
  } else if (c.loadAssignment !== undefined) endpoints = endpointsOf(c.loadAssignment);
  return {
    name,
    found: true,
    type,
    endpoints,
    originalDestination: type === 'ORIGINAL_DST',
    dynamicHost: custom === DFP_CLUSTER,
    panicThreshold,
  };
}

/** Whether Envoy has a host to send to: a usable one, or any host when panic routing is on. */
export function hasUpstream(v: ClusterView): boolean {
  if (v.originalDestination || v.dynamicHost) return true;
  if (v.endpoints.some((e) => e.healthy)) return true;
  return v.endpoints.length > 0 && v.panicThreshold > 0;
}
