import YAML from 'yaml';
import { get, MESH_CONFIGMAP, type World } from '../model';
import type { Reads } from './reads';
import { checkedValue, parseIstioDuration, parseStatusOnError } from '../model/values';

/** An ext_authz service declared in the mesh config's extensionProviders. */
export interface ExtAuthzProvider {
  name: string;
  kind: 'grpc' | 'http';
  /** Service hostname, e.g. ext-authz.foo.svc.cluster.local. */
  host: string;
  port: number;
  timeoutMs?: number;
  failOpen: boolean;
  statusOnError?: number;
  pathPrefix?: string;
  includeRequestHeadersInCheck: string[];
  headersToUpstreamOnAllow: string[];
  headersToDownstreamOnDeny: string[];
}

interface RawProvider {
  name?: string;
  envoyExtAuthzGrpc?: Record<string, unknown>;
  envoyExtAuthzHttp?: Record<string, unknown>;
}

// The mesh config was checked at load (model/mesh-schema.ts).
const ms = (v: unknown) => (v === undefined ? undefined : checkedValue(parseIstioDuration, String(v)));

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * The ext_authz providers of the mesh config (the `mesh` key of the `istio`
 * ConfigMap in the root namespace), by name. Anything unreadable counts as
 * absent, so CUSTOM policies naming it fail closed.
 */
export function extAuthzProviders(world: World, rootNamespace: string, reads?: Reads): Map<string, ExtAuthzProvider> {
  reads?.object('ConfigMap', rootNamespace, MESH_CONFIGMAP);
  const out = new Map<string, ExtAuthzProvider>();
  const text = get(world, 'ConfigMap', rootNamespace, MESH_CONFIGMAP)?.data?.['mesh'];
  if (!text) return out;
  let mesh: { extensionProviders?: RawProvider[] } | undefined;
  try {
    mesh = YAML.parse(text) as typeof mesh;
  } catch {
    return out;
  }
  for (const p of mesh?.extensionProviders ?? []) {
    const cfg = p.envoyExtAuthzGrpc ?? p.envoyExtAuthzHttp;
    if (!p.name || !cfg || typeof cfg.service !== 'string' || typeof cfg.port !== 'number') continue;
    // "ns/host" names the namespace explicitly; the host alone is enough here.
    const host = cfg.service.includes('/') ? (cfg.service.split('/')[1] ?? '') : cfg.service;
    const http = p.envoyExtAuthzHttp;
    out.set(p.name, {
      name: p.name,
      kind: p.envoyExtAuthzGrpc ? 'grpc' : 'http',
      host,
      port: cfg.port,
      timeoutMs: ms(cfg.timeout),
      failOpen: cfg.failOpen === true,
      statusOnError:
        typeof cfg.statusOnError === 'string' && cfg.statusOnError !== ''
          ? checkedValue(parseStatusOnError, cfg.statusOnError)
          : undefined,
      pathPrefix: typeof http?.pathPrefix === 'string' ? http.pathPrefix : undefined,
      includeRequestHeadersInCheck: strings(http?.includeRequestHeadersInCheck),
      headersToUpstreamOnAllow: strings(http?.headersToUpstreamOnAllow),
      headersToDownstreamOnDeny: strings(http?.headersToDownstreamOnDeny),
    });
  }
  return out;
}
