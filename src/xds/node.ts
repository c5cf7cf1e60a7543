import type { OutputTypeMap } from '../envoy';

export type EnvoyNode = OutputTypeMap['envoy.config.core.v3.Node'];

/** What we know about the proxy on the other end of a stream. */
export interface ProxyInfo {
  /** The raw node id as sent. */
  nodeId: string;
  /** `<pod>.<ns>` for Istio-style ids, else the raw id; what syncz and proxy-status show. */
  proxyId: string;
  /** `waypoint`, `sidecar`, `router`, `ztunnel`, or '' when the id is not Istio-style. */
  proxyType: string;
  ip: string;
  podName: string;
  namespace: string;
  /** Node metadata flattened to strings (nested structs as JSON). */
  metadata: Readonly<Record<string, string>>;
  /** `LABELS` from metadata, when present. */
  labels: Readonly<Record<string, string>>;
  cluster: string;
  raw: EnvoyNode;
}

/** Maps a proxy to the key its configuration is stored under in the cache. */
export type ProxyKeyFn = (proxy: ProxyInfo) => string | undefined;

/** Default mapping: every node gets the cache entry named by its node id. */
export const keyByNodeId: ProxyKeyFn = (p) => p.nodeId || undefined;

// Node ids look like `waypoint~10.0.0.1~waypoint-7d9f-abc.default~default.svc.cluster.local`.
export function parseNode(node: EnvoyNode): ProxyInfo {
  const nodeId = node.id ?? '';
  const metadata = flattenStruct(node.metadata);
  const labels = structField(node.metadata, 'LABELS');
  const parts = nodeId.split('~');
  let proxyType = '';
  let ip = '';
  let podName = '';
  let namespace = metadata['NAMESPACE'] ?? '';
  let proxyId = nodeId;
  if (parts.length === 4) {
    proxyType = parts[0] ?? '';
    ip = parts[1] ?? '';
    const podNs = parts[2] ?? '';
    const dot = podNs.indexOf('.');
    podName = dot >= 0 ? podNs.slice(0, dot) : podNs;
    if (dot >= 0) namespace = podNs.slice(dot + 1);
    proxyId = podNs;
  }
  return {
    nodeId,
    proxyId,
    proxyType,
    ip,
    podName,
    namespace,
    metadata,
    labels,
    cluster: node.cluster ?? metadata['CLUSTER_ID'] ?? '',
    raw: node,
  };
}

type Struct = OutputTypeMap['google.protobuf.Struct'];
type Value = OutputTypeMap['google.protobuf.Value'];

function valueToJs(v: Value | null | undefined): unknown {
  if (!v) return null;
  switch (v.kind) {
    case 'stringValue':
      return v.stringValue;
    case 'numberValue':
      return v.numberValue;
    case 'boolValue':
      return v.boolValue;
    case 'structValue':
      return structToJs(v.structValue);
    case 'listValue':
      return (v.listValue?.values ?? []).map(valueToJs);
    default:
      return null;
  }
}

function structToJs(s: Struct | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = valueToJs(v);
  return out;
}

function flattenStruct(s: Struct | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(structToJs(s))) {
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function structField(s: Struct | null | undefined, key: string): Record<string, string> {
  const v = structToJs(s)[key];
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  }
  return out;
}

/**
 * The proxy's Istio version for `pilot_xds{version}`, as istiod labels it;
 * "unknown" when absent. Anything not shaped like a version is "unknown" too,
 * so a client cannot mint label values at will.
 */
export function proxyVersion(p: ProxyInfo): string {
  const v = p.metadata.ISTIO_VERSION;
  return v !== undefined && /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$/.test(v) ? v : 'unknown';
}
