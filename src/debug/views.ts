import { encodeMessage, toProtoJson, type Json } from '../envoy';
import type { SnapshotCache, XdsServer } from '../xds';
import { PUSH_ORDER, shortType } from '../envoy';

/** What the debug endpoints show; each is a read-only view of another module. */
export interface DebugViews {
  syncz(): Json[];
  adsz(): Json;
  configDump(proxyId: string): Json | undefined;
  ambientz(): Json;
  /** Resources held back because Envoy would refuse them, and those it would load with problems. */
  rejectz?(): Json;
  metrics(): Promise<string>;
  ready(): boolean;
}

/** syncz as proto3 JSON, the same ClientConfig messages the xDS debug type carries. */
export function synczJson(server: XdsServer): Json[] {
  return server
    .syncz()
    .map((cfg) =>
      toProtoJson('envoy.service.status.v3.ClientConfig', encodeMessage('envoy.service.status.v3.ClientConfig', cfg)),
    );
}

/** Connected streams with their subscriptions and what each type's state is. */
export function adszJson(server: XdsServer): Json {
  const out: Json[] = [];
  for (const c of server.connections.values()) {
    out.push({
      connectionId: c.id,
      proxy: c.proxy?.proxyId ?? null,
      node: c.proxy?.nodeId ?? null,
      key: c.key ?? null,
      protocol: c.protocol,
      connectedAt: c.connectedAt.toISOString(),
      types: [...c.states.values()].map((s) => ({
        type: shortType(s.typeUrl),
        wildcard: s.wildcard,
        names: [...s.names].sort(),
        held: s.held.size,
        nonceSent: s.nonceSent,
        nonceAcked: s.nonceAcked,
        status: s.status(),
        error: s.error?.message ?? null,
      })),
    });
  }
  return { totalClients: out.length, clients: out };
}

/** Everything in the cache for the proxy's key, decoded, in push order. */
export function configDumpJson(server: XdsServer, cache: SnapshotCache, proxyId: string): Json | undefined {
  const conn = [...server.connections.values()].find((c) => c.proxy?.proxyId === proxyId);
  if (!conn) return undefined;
  const configs: Json[] = [];
  for (const t of PUSH_ORDER) {
    const resources = cache.get(conn.key, t);
    if (resources.size === 0) continue;
    const items: Json[] = [];
    for (const r of [...resources.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      items.push({
        name: r.name,
        version: r.version,
        resource: { '@type': r.typeUrl, ...asObject(toProtoJson(r.messageName, r.body)) },
      });
    }
    configs.push({ type: shortType(t), resources: items });
  }
  return { proxy: proxyId, key: conn.key ?? null, configs };
}

function asObject(j: Json): { [k: string]: Json } {
  return j !== null && typeof j === 'object' && !Array.isArray(j) ? j : { value: j };
}
