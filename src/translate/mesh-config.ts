import YAML from 'yaml';
import {
  MESH_CONFIGMAP,
  readObject,
  recorded,
  type ConfigMap,
  type LocalityLbSetting,
  type VsHttpRoute,
  type World,
} from '../model';
import { derive } from './derived';
import type { Reads } from './reads';
import type { AccessLogFormatIR } from './ir';
import { ISTIO_JSON_LOG_FORMAT, ISTIO_TEXT_LOG_FORMAT } from './names';
import { checkedValue, parseIstioDuration, parseStatusOnError } from '../model/values';
import { EXT_AUTHZ_TIMEOUT_MS } from '../model/defaults';

/** An ext_authz service declared in the mesh config's extensionProviders. */
export interface ExtAuthzProvider {
  name: string;
  kind: 'grpc' | 'http';
  /** Service hostname, e.g. ext-authz.foo.svc.cluster.local. */
  host: string;
  /** `service` as written: `<ns>/<host>` names the namespace whose declaration of the host is meant. */
  service: string;
  port: number;
  timeoutMs: number;
  failOpen: boolean;
  statusOnError?: number;
  pathPrefix?: string;
  includeRequestHeadersInCheck: string[];
  headersToUpstreamOnAllow: string[];
  headersToDownstreamOnDeny: string[];
  headersToDownstreamOnAllow: string[];
  /** Headers added to the check request, sorted by name. */
  includeAdditionalHeadersInCheck: { key: string; value: string }[];
  includeRequestBodyInCheck?: { maxRequestBytes: number; allowPartialMessage: boolean; packAsBytes: boolean };
}

interface RawProvider {
  name?: string;
  envoyExtAuthzGrpc?: Record<string, unknown>;
  envoyExtAuthzHttp?: Record<string, unknown>;
}

// The mesh config was checked at load (model/mesh-schema.ts).
const ms = (v: unknown) => (v === undefined ? undefined : checkedValue(parseIstioDuration, String(v)));

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function additionalHeaders(v: unknown): { key: string; value: string }[] {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}

function requestBody(v: unknown): ExtAuthzProvider['includeRequestBodyInCheck'] {
  if (!v || typeof v !== 'object') return undefined;
  const b = v as Record<string, unknown>;
  return {
    maxRequestBytes: typeof b.maxRequestBytes === 'number' ? b.maxRequestBytes : 0,
    allowPartialMessage: b.allowPartialMessage === true,
    packAsBytes: b.packAsBytes === true,
  };
}

/**
 * extauthz.go: buildExtAuthzHTTP — a lone `*` header pattern or a pathPrefix
 * not starting with `/` makes the provider unusable (its policies fail closed).
 */
function httpProviderProblem(http: Record<string, unknown>): boolean {
  const fields = [
    'includeRequestHeadersInCheck',
    'includeHeadersInCheck',
    'headersToDownstreamOnDeny',
    'headersToDownstreamOnAllow',
    'headersToUpstreamOnAllow',
  ];
  if (fields.some((f) => strings(http[f]).includes('*'))) return true;
  return typeof http.pathPrefix === 'string' && http.pathPrefix !== '' && !http.pathPrefix.startsWith('/');
}

/** The `istio` ConfigMap of the root namespace, which holds the mesh config; its key recorded. */
function meshConfigMap(world: World, rootNamespace: string, reads: Reads | undefined): ConfigMap | undefined {
  return readObject(recorded(world, reads), 'ConfigMap', rootNamespace, MESH_CONFIGMAP);
}

/**
 * The ext_authz providers of the mesh config (the `mesh` key of the `istio`
 * ConfigMap in the root namespace), by name. Anything unreadable counts as
 * absent, so CUSTOM policies naming it fail closed.
 */
export function extAuthzProviders(world: World, rootNamespace: string, reads?: Reads): Map<string, ExtAuthzProvider> {
  const out = new Map<string, ExtAuthzProvider>();
  const text = meshConfigMap(world, rootNamespace, reads)?.data?.['mesh'];
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
    // "ns/host" names the namespace explicitly; `service` keeps it for the lookup.
    const host = cfg.service.includes('/') ? (cfg.service.split('/')[1] ?? '') : cfg.service;
    const http = p.envoyExtAuthzHttp;
    if (http && httpProviderProblem(http)) continue;
    const body = requestBody(cfg.includeRequestBodyInCheck);
    // Envoy requires a positive max_request_bytes; istiod would send 0 and
    // have the listener rejected, so such a provider is unusable here instead.
    if (body && !(body.maxRequestBytes > 0)) continue;
    // includeHeadersInCheck is the deprecated spelling, read only when the new one is unset.
    const include = strings(http?.includeRequestHeadersInCheck);
    out.set(p.name, {
      name: p.name,
      kind: p.envoyExtAuthzGrpc ? 'grpc' : 'http',
      host,
      service: cfg.service,
      port: cfg.port,
      timeoutMs: ms(cfg.timeout) ?? EXT_AUTHZ_TIMEOUT_MS,
      failOpen: cfg.failOpen === true,
      statusOnError:
        typeof cfg.statusOnError === 'string' && cfg.statusOnError !== ''
          ? checkedValue(parseStatusOnError, cfg.statusOnError)
          : undefined,
      pathPrefix: typeof http?.pathPrefix === 'string' ? http.pathPrefix : undefined,
      includeRequestHeadersInCheck: include.length > 0 ? include : strings(http?.includeHeadersInCheck),
      headersToUpstreamOnAllow: strings(http?.headersToUpstreamOnAllow),
      headersToDownstreamOnDeny: strings(http?.headersToDownstreamOnDeny),
      headersToDownstreamOnAllow: strings(http?.headersToDownstreamOnAllow),
      includeAdditionalHeadersInCheck: additionalHeaders(http?.includeAdditionalHeadersInCheck),
      includeRequestBodyInCheck: body,
    });
  }
  return out;
}

/** The mesh config's `trustDomainAliases` (authorization.go builds its trust-domain bundle from them). */
export function trustDomainAliases(world: World, rootNamespace: string, reads?: Reads): string[] {
  const text = meshConfigMap(world, rootNamespace, reads)?.data?.['mesh'];
  if (!text) return [];
  try {
    return strings((YAML.parse(text) as { trustDomainAliases?: unknown } | undefined)?.trustDomainAliases);
  } catch {
    return [];
  }
}

/** The parsed mesh config of each ConfigMap version (a World's objects never change). */
const parsedMesh = derive((cm: ConfigMap): Readonly<Record<string, unknown>> => {
  try {
    const mesh: unknown = YAML.parse(cm.data?.['mesh'] ?? '');
    if (mesh && typeof mesh === 'object' && !Array.isArray(mesh)) return mesh as Record<string, unknown>;
  } catch {
    // An unreadable mesh config was refused at load; the defaults stand.
  }
  return {};
});

function meshObject(world: World, rootNamespace: string, reads?: Reads): Readonly<Record<string, unknown>> {
  const cm = meshConfigMap(world, rootNamespace, reads);
  return cm ? parsedMesh(cm) : {};
}

/**
 * The mesh config's `defaultHttpRetryPolicy` (checked at load,
 * model/mesh-schema.ts), which a route without a retry policy of its own
 * takes (route.go: applyHTTPRouteDestination, BuildDefaultHTTPOutboundRoute);
 * undefined when unset.
 */
export function meshHttpRetry(world: World, rootNamespace: string, reads?: Reads): VsHttpRoute['retries'] {
  const v = meshObject(world, rootNamespace, reads).defaultHttpRetryPolicy;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as VsHttpRoute['retries']) : undefined;
}

/**
 * The mesh config's `defaultDestinationRuleExportTo`, checked at load
 * (model/mesh-schema.ts); unset means `*` (mesh.go: DefaultMeshConfig;
 * push_context.go: initDefaultExportMaps).
 */
export function meshRuleExportTo(world: World, rootNamespace: string, reads?: Reads): readonly string[] {
  const v = meshObject(world, rootNamespace, reads).defaultDestinationRuleExportTo;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : ['*'];
}

/** The mesh config's locality settings, as far as a waypoint's EDS is concerned. */
export interface MeshLocalityLb {
  /** `zoneAwareLbSetting` is set: it outranks `localityLbSetting`. */
  zoneAware: boolean;
  /** `localityLbSetting`; absent when unset or not an object. */
  setting?: LocalityLbSetting;
}

/**
 * The mesh config's `localityLbSetting` and whether `zoneAwareLbSetting` is
 * set (loadbalancer.go: GetEffectiveLbSetting reads both from the mesh).
 * The default mesh config (mesh.go: DefaultMeshConfig) enables locality
 * balancing with no further entries; a mesh config naming neither keeps it.
 */
export function meshLocalityLb(world: World, rootNamespace: string, reads?: Reads): MeshLocalityLb {
  const mesh = meshObject(world, rootNamespace, reads);
  const zoneAware = mesh.zoneAwareLbSetting !== undefined && mesh.zoneAwareLbSetting !== null;
  const raw = mesh.localityLbSetting;
  if (raw === undefined) return { zoneAware, setting: { enabled: true } };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { zoneAware };
  return { zoneAware, setting: raw as LocalityLbSetting };
}

/**
 * The line format of the built-in `envoy` access-log provider, from the mesh
 * config's `accessLogEncoding` and `accessLogFormat`
 * (telemetry_logging.go: FileAccessLogFromMeshConfig, fileAccessLogFormat):
 * TEXT (the default) takes the format with a newline added, else Istio's
 * line; JSON takes the format parsed as a JSON object, else Istio's fields
 * when it is empty or does not parse (istiod logs that and carries on).
 */
export function meshAccessLogFormat(world: World, rootNamespace: string, reads?: Reads): AccessLogFormatIR {
  const mesh = meshObject(world, rootNamespace, reads);
  const format = typeof mesh.accessLogFormat === 'string' ? mesh.accessLogFormat : '';
  const json = mesh.accessLogEncoding === 'JSON' || mesh.accessLogEncoding === 1;
  if (!json)
    return {
      kind: 'text',
      text: format === '' ? ISTIO_TEXT_LOG_FORMAT : format.endsWith('\n') ? format : `${format}\n`,
    };
  if (format !== '') {
    try {
      const parsed: unknown = JSON.parse(format);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return { kind: 'json', fields: parsed as Record<string, unknown> };
    } catch {
      // Not JSON: Istio's fields, as istiod.
    }
  }
  return { kind: 'json', fields: { ...ISTIO_JSON_LOG_FORMAT } };
}
