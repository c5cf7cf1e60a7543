import { pack, shareEncoding, type TypeMap } from '../../envoy';
import { once } from '../common';
import type { CustomTagIR, TracerIR, TracingIR } from '../ir';
import * as names from '../names';

// What istiod's buildHTTPConnectionManager puts on every waypoint HCM besides
// routes and filters, with the default mesh config and no Telemetry tracing.

type Hcm = TypeMap['envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'];
type CustomTag = TypeMap['envoy.type.tracing.v3.CustomTag'];

/**
 * uuid_extension.go: UUIDRequestIDExtension — x-request-id is a UUID and
 * also decides trace sampling, so every proxy on a path samples alike.
 */
export const requestIdExtension = once((): NonNullable<Hcm['request_id_extension']> => ({
  typed_config: pack('envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig', {
    use_request_id_for_trace_sampling: { value: true },
  }),
}));

/** What the default tracing tags say about the waypoint proxy itself. */
export interface ProxyTags {
  /** The waypoint's deployment name (its canonical service). */
  canonicalService: string;
  namespace: string;
  clusterId: string;
  /** The mesh ID; the waypoint template falls back to the trust domain. */
  meshId: string;
}

// features/telemetry.go: PILOT_TRACE_SAMPLING defaults to 1%.
const DEFAULT_SAMPLING_PERCENT = 1;

function rbacMetadataTag(tag: string, key: string): CustomTag {
  return {
    tag,
    metadata: { kind: { request: {} }, metadata_key: { key: 'envoy.filters.http.rbac', path: [{ key }] } },
  };
}

const constantTags = once((): CustomTag[] => [
  // tracing.go: optionalPolicyTags — dry-run RBAC results.
  rbacMetadataTag(
    'istio.authorization.dry_run.allow_policy.name',
    `${names.DRY_RUN_ALLOW_PREFIX}shadow_effective_policy_id`,
  ),
  rbacMetadataTag(
    'istio.authorization.dry_run.allow_policy.result',
    `${names.DRY_RUN_ALLOW_PREFIX}shadow_engine_result`,
  ),
  rbacMetadataTag(
    'istio.authorization.dry_run.deny_policy.name',
    `${names.DRY_RUN_DENY_PREFIX}shadow_effective_policy_id`,
  ),
  rbacMetadataTag('istio.authorization.dry_run.deny_policy.result', `${names.DRY_RUN_DENY_PREFIX}shadow_engine_result`),
]);

/**
 * tracing.go: configureTracingFromTelemetry, without a Telemetry tracing
 * config and with the mesh's enableTracing (on by default): the bootstrap's
 * tracer, 1% random sampling, istiod's tags about this proxy and the dry-run
 * policy tags, sorted by tag. istiod also adds, for waypoints, tags read from
 * the peer metadata objects (buildWaypointSourceTags); they need
 * CustomTag.value, which the Envoy API we build against predates, so they are
 * not sent.
 */
export function defaultTracing(p: ProxyTags): NonNullable<Hcm['tracing']> {
  // Every HTTP chain of a waypoint carries it: built, and encoded, once per proxy.
  const key = `${p.canonicalService}\n${p.namespace}\n${p.clusterId}\n${p.meshId}`;
  let t = tracingByProxy.get(key);
  if (!t) {
    t = shareEncoding(buildTracing(p));
    if (tracingByProxy.size >= TRACING_CACHE_MAX) tracingByProxy.clear();
    tracingByProxy.set(key, t);
  }
  return t;
}

const tracingByProxy = new Map<string, NonNullable<Hcm['tracing']>>();
const TRACING_CACHE_MAX = 10_000;

const literal = (tag: string, value: string): CustomTag => ({ tag, literal: { value } });

/** tracing.go: buildServiceTags, then optionalPolicyTags. */
function istioTags(p: ProxyTags): CustomTag[] {
  return [
    literal('istio.canonical_revision', 'latest'),
    literal('istio.canonical_service', p.canonicalService || 'unknown'),
    literal('istio.mesh_id', p.meshId || 'unknown'),
    literal('istio.namespace', p.namespace || 'default'),
    literal('istio.cluster_id', p.clusterId || 'unknown'),
    ...constantTags(),
  ];
}

const byTag = (a: CustomTag, b: CustomTag) =>
  (a.tag ?? '') < (b.tag ?? '') ? -1 : (a.tag ?? '') > (b.tag ?? '') ? 1 : 0;

function buildTracing(p: ProxyTags): NonNullable<Hcm['tracing']> {
  const tags = istioTags(p).sort(byTag);
  return {
    client_sampling: { value: 100 },
    random_sampling: { value: DEFAULT_SAMPLING_PERCENT },
    overall_sampling: { value: 100 },
    custom_tags: tags,
  };
}

function tracerConfig(t: TracerIR) {
  switch (t.type) {
    case 'envoy.config.trace.v3.ZipkinConfig':
      return pack(t.type, t.config);
    case 'envoy.config.trace.v3.DatadogConfig':
      return pack(t.type, t.config);
    case 'envoy.config.trace.v3.SkyWalkingConfig':
      return pack(t.type, t.config);
    case 'envoy.config.trace.v3.OpenTelemetryConfig':
      return pack(t.type, t.config);
  }
}

/** tracing.go: buildCustomTagsFromProvider. */
function customTag(t: CustomTagIR): CustomTag {
  if ('literal' in t) return literal(t.tag, t.literal);
  const dflt = t.defaultValue !== undefined ? { default_value: t.defaultValue } : {};
  if ('header' in t) return { tag: t.tag, request_header: { name: t.header, ...dflt } };
  return { tag: t.tag, environment: { name: t.environment, ...dflt } };
}

/**
 * tracing.go: configureTracingFromTelemetry with a Telemetry tracing config:
 * the provider's tracer, client/overall sampling 100 and the Telemetry's
 * random sampling, istiod's tags (unless turned off) and the Telemetry's
 * own, sorted by tag. Undefined: no tracing on the HCM.
 */
export function telemetryTracing(t: TracingIR, p: ProxyTags): Hcm['tracing'] | undefined {
  if (t.off) return undefined;
  const tags = [...(t.istioTags ? istioTags(p) : []), ...t.customTags.map(customTag)].sort(byTag);
  return {
    ...(t.tracer?.spawnUpstreamSpan ? { spawn_upstream_span: { value: true } } : {}),
    ...(t.tracer ? { provider: { name: t.tracer.name, typed_config: tracerConfig(t.tracer) } } : {}),
    ...(t.maxPathTagLength ? { max_path_tag_length: { value: t.maxPathTagLength } } : {}),
    client_sampling: { value: 100 },
    random_sampling: { value: t.randomSampling },
    overall_sampling: { value: 100 },
    custom_tags: tags,
  };
}

/** uuid_extension.go: BuildUUIDRequestIDExtension — Telemetry may stop x-request-id deciding sampling. */
export function telemetryRequestId(t: TracingIR | undefined): NonNullable<Hcm['request_id_extension']> {
  if (!t || t.off || t.useRequestIdForTraceSampling) return requestIdExtension();
  return {
    typed_config: pack('envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig', {
      use_request_id_for_trace_sampling: { value: false },
    }),
  };
}
