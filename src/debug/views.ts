import { encodeMessage, toProtoJson, type Json } from '../envoy';
import type { PushHistory, SnapshotCache, XdsServer } from '../xds';
import { PUSH_ORDER, shortType, TypeUrl } from '../envoy';
import { explain, type EnvoyConfig, type ExplainInput, type Explanation } from '../explain';
import type { AmbientIndex } from '../ambient';
import type { World } from '../model';
import { DEFAULT_OPTIONS } from '../translate';

/** What the debug endpoints show; each is a read-only view of another module. */
export interface DebugViews {
  syncz(q: URLSearchParams): Paged<Json[]>;
  adsz(q: URLSearchParams): Json;
  configDump(proxyId: string): Json | undefined;
  ambientz(): Json;
  /** Resources held back because Envoy would refuse them, and those it would load with problems. */
  rejectz?(): Json;
  metrics(): Promise<string>;
  ready(): boolean;
  /** Log level of every scope. */
  logLevels?(): Json;
  /** Sets the level of one scope, or of all when `scope` is undefined; throws on an unknown level or scope. */
  setLogLevel?(level: string, scope: string | undefined): void;
  /** Recent pushes, their ACKs and NACKs, and convergence times (the debug page's). */
  history?(): PushHistory;
  /** One request evaluated against what is served now; throws ExplainError on an unknown source or destination. */
  explain?(input: ExplainInput): Explanation;
}

/** A page of a debug view, and where the next one starts (undefined on the last). */
export interface Paged<T> {
  body: T;
  total: number;
  next?: number;
}

/**
 * Debug views list at most this many proxies per request (`?limit=`, up to
 * MAX_PAGE; `?offset=` pages on) and at most MAX_NAMES_SHOWN subscribed
 * names per type, so one response stays small whatever clients subscribed.
 * istiod's /debug/adsz lists every watched name of every proxy
 * (pilot/pkg/xds/debug.go: adsz); a client that subscribes to millions of
 * names would make that response millions of lines.
 */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
export const MAX_NAMES_SHOWN = 100;

export class PageError extends Error {}

export function pageOf(q: URLSearchParams): { offset: number; limit: number } {
  const num = (name: string, dflt: number, max: number): number => {
    const raw = q.get(name);
    if (raw === null) return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > max)
      throw new PageError(`${name} must be an integer from 0 to ${max}, not ${JSON.stringify(raw.slice(0, 40))}`);
    return n;
  };
  return { offset: num('offset', 0, Number.MAX_SAFE_INTEGER), limit: num('limit', DEFAULT_PAGE, MAX_PAGE) };
}

function paged<T>(
  items: readonly T[],
  q: URLSearchParams,
): { items: T[]; total: number; offset: number; next?: number } {
  const { offset, limit } = pageOf(q);
  const end = offset + limit;
  return {
    items: items.slice(offset, end),
    total: items.length,
    offset,
    next: end < items.length ? end : undefined,
  };
}

/** syncz as proto3 JSON, the same ClientConfig messages the xDS debug type carries; one page of proxies. */
export function synczJson(server: XdsServer, q: URLSearchParams = new URLSearchParams()): Paged<Json[]> {
  const page = paged(server.syncz(), q);
  return {
    body: page.items.map((cfg) =>
      toProtoJson('envoy.service.status.v3.ClientConfig', encodeMessage('envoy.service.status.v3.ClientConfig', cfg)),
    ),
    total: page.total,
    next: page.next,
  };
}

/** Up to `max` of `names`, sorted; the rest are only counted. */
function someNames(names: ReadonlySet<string>, max: number): string[] {
  const out: string[] = [];
  for (const n of names) {
    if (out.length >= max) break;
    out.push(n);
  }
  return out.sort();
}

/**
 * Connected streams with their subscriptions and each type's state, one page
 * of them (`?proxyID=<pod>.<ns>` selects one proxy's streams).
 */
export function adszJson(server: XdsServer, q: URLSearchParams = new URLSearchParams()): Json {
  const proxyId = q.get('proxyID');
  const conns = [...server.connections.values()].filter((c) => proxyId === null || c.proxy?.proxyId === proxyId);
  const page = paged(conns, q);
  const out: Json[] = [];
  for (const c of page.items) {
    out.push({
      connectionId: c.id,
      proxy: c.proxy?.proxyId ?? null,
      node: c.proxy?.nodeId ?? null,
      key: c.key ?? null,
      protocol: c.protocol,
      connectedAt: c.connectedAt.toISOString(),
      // What a client can compare with its own counts to know the server saw all it sent and wrote nothing more.
      requestsHandled: c.requestsHandled,
      responsesWritten: c.responsesWritten,
      types: [...c.states.values()].map((s) => ({
        type: shortType(s.typeUrl),
        wildcard: s.wildcard,
        names: someNames(s.names, MAX_NAMES_SHOWN),
        namesTotal: s.names.size,
        held: s.held.size,
        nonceSent: s.nonceSent,
        nonceAcked: s.nonceAcked,
        status: s.status(),
        error: s.error?.message ?? null,
      })),
    });
  }
  return {
    totalClients: page.total,
    offset: page.offset,
    next: page.next ?? null,
    clients: out,
  };
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

/**
 * What the cache holds for a key, decoded as a config dump shows it: the same
 * resources explain --debug-address reads from /debug/config_dump, without a
 * connected proxy.
 */
export function servedConfig(cache: SnapshotCache, key: string): EnvoyConfig | undefined {
  const section = (t: string) =>
    [...cache.get(key, t).values()].map((r) => ({
      '@type': r.typeUrl,
      ...asObject(toProtoJson(r.messageName, r.body)),
    }));
  const config = {
    listeners: section(TypeUrl.Listener),
    routes: section(TypeUrl.Route),
    clusters: section(TypeUrl.Cluster),
    endpoints: section(TypeUrl.Endpoint),
  };
  return config.listeners.length === 0 && config.clusters.length === 0 ? undefined : config;
}

/**
 * One request against what serve holds now: names resolved in the World last
 * translated, each waypoint's configuration read from the cache, so the
 * answer is the one explain --debug-address gives for a connected proxy.
 */
export function explainServed(
  served: { world: World; index: AmbientIndex } | undefined,
  cache: SnapshotCache,
  input: ExplainInput,
  demand?: (key: string) => void,
): Explanation {
  if (!served) throw new PageError('nothing is translated yet; try again once /ready answers 200');
  // A waypoint no proxy has connected to is translated now, so the answer is its real configuration.
  const config = (key: string) => {
    demand?.(key);
    return servedConfig(cache, key);
  };
  return {
    ...explain(served.world, served.index, config, input, DEFAULT_OPTIONS.trustDomain),
    configuration: 'served now by this server',
  };
}

function asObject(j: Json): { [k: string]: Json } {
  return j !== null && typeof j === 'object' && !Array.isArray(j) ? j : { value: j };
}
