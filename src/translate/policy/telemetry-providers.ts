// The telemetry side of the mesh config: extension providers for access
// logging, tracing and metrics, the default providers, and the legacy
// accessLogFile / enableTracing switches. The mesh config was checked at load
// (model/mesh-schema.ts); what does not read here counts as absent.
import YAML from 'yaml';
import { MESH_CONFIGMAP, readObject, recorded, type World } from '../../model';
import { checkedValue, parseIstioDuration } from '../../model/values';
import type { TracingCustomTag } from '../../model';
import type { AccessLogFormatIR } from '../ir';
import type { Reads } from '../reads';

interface Remote {
  /** `<host>` or `<namespace>/<host>`, as written. */
  service: string;
  port: number;
}

export type TelemetryProvider = { name: string } & (
  | {
      kind: 'file';
      path: string;
      /** Absent: the provider sets no format (the built-in `envoy` one then follows the mesh config). */
      format?: AccessLogFormatIR;
      omitEmptyValues: boolean;
    }
  | (Remote & {
      kind: 'http-als' | 'tcp-als';
      logName?: string;
      filterStateObjectsToLog: string[];
      additionalRequestHeadersToLog: string[];
      additionalResponseHeadersToLog: string[];
      additionalResponseTrailersToLog: string[];
    })
  | (Remote & {
      kind: 'otel-als';
      logName?: string;
      /** `logFormat.text`, empty when not set. */
      text: string;
      /** `logFormat.labels`, as written. */
      labels?: Record<string, unknown>;
    })
  | (Remote & { kind: 'zipkin'; maxTagLength: number; enable64bitTraceId: boolean; path: string })
  | (Remote & { kind: 'datadog'; maxTagLength: number })
  | (Remote & { kind: 'skywalking' })
  | (Remote & {
      kind: 'opentelemetry';
      maxTagLength: number;
      http?: { path: string; timeoutMs?: number; headers: { name: string; value: string }[] };
      grpc: { timeoutMs?: number; initialMetadata: { name: string; value: string }[] };
    })
  | { kind: 'prometheus' }
  /** A provider kind with no access-log, tracing or stats part we build (stackdriver, ext_authz, lightstep…). */
  | { kind: 'other'; type: string }
);

export interface MeshTelemetry {
  providers: TelemetryProvider[];
  defaultProviders: { accessLogging: string[]; tracing: string[]; metrics: string[] };
  /** The legacy switch for the built-in file log (empty: off). */
  accessLogFile: string;
  enableTracing: boolean;
  disableEnvoyListenerLog: boolean;
  /** The mesh's proxy defaults for tracing (`defaultConfig.tracing`). */
  proxyTracing: ProxyTracing;
}

export interface ProxyTracing {
  /** 0 or absent: PILOT_TRACE_SAMPLING. */
  sampling?: number;
  customTags: Record<string, TracingCustomTag>;
  maxPathTagLength?: number;
  enableIstioTags?: boolean;
}

/** protojson takes both spellings of a field name. */
const field = (o: Raw, camel: string, snake: string): unknown => (o[camel] !== undefined ? o[camel] : o[snake]);

function proxyTracing(mesh: Raw): ProxyTracing {
  const t = rec(rec(field(mesh, 'defaultConfig', 'default_config'))?.tracing) ?? {};
  const tags: Record<string, TracingCustomTag> = {};
  for (const [name, raw] of Object.entries(rec(field(t, 'customTags', 'custom_tags')) ?? {})) {
    const tag = rec(raw) ?? {};
    const lit = rec(tag.literal);
    const header = rec(tag.header);
    const env = rec(tag.environment);
    const dflt = (o: Raw) => {
      const d = str(field(o, 'defaultValue', 'default_value'));
      return d ? { defaultValue: d } : {};
    };
    if (lit) tags[name] = { literal: { value: str(lit.value) } };
    else if (header) tags[name] = { header: { name: str(header.name), ...dflt(header) } };
    else if (env) tags[name] = { environment: { name: str(env.name), ...dflt(env) } };
  }
  const sampling = num(t.sampling);
  const maxTag = num(field(t, 'maxPathTagLength', 'max_path_tag_length'));
  const istio = field(t, 'enableIstioTags', 'enable_istio_tags');
  return {
    ...(sampling !== 0 ? { sampling } : {}),
    customTags: tags,
    ...(maxTag > 0 ? { maxPathTagLength: maxTag } : {}),
    ...(typeof istio === 'boolean' ? { enableIstioTags: istio } : {}),
  };
}

type Raw = Record<string, unknown>;
const rec = (v: unknown): Raw | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const ms = (v: unknown) => (v === undefined ? undefined : checkedValue(parseIstioDuration, String(v)));

function headers(v: unknown): { name: string; value: string }[] {
  return (Array.isArray(v) ? v : [])
    .map(rec)
    .filter((h): h is Raw => h !== undefined)
    .map((h) => ({ name: str(h.name), value: str(h.value) }));
}

/** A `labels` map as JSON fields, or a text line; each as the mesh config writes it. */
function fileFormat(v: unknown): AccessLogFormatIR | undefined {
  const f = rec(v);
  if (!f) return undefined;
  const labels = rec(f.labels);
  // Empty labels fall back to Istio's fields when built (telemetry-chain.ts: fileFormat).
  if (labels) return { kind: 'json', fields: labels };
  if (typeof f.text === 'string') return { kind: 'text', text: f.text };
  return undefined;
}

function provider(p: Raw): TelemetryProvider | undefined {
  const name = str(p.name);
  if (!name) return undefined;
  const remote = (c: Raw): Remote => ({ service: str(c.service), port: num(c.port) });
  const file = rec(p.envoyFileAccessLog);
  if (file) {
    const format = fileFormat(file.logFormat);
    return {
      name,
      kind: 'file',
      path: str(file.path),
      ...(format ? { format } : {}),
      omitEmptyValues: file.omitEmptyValues === true,
    };
  }
  for (const [key, kind] of [
    ['envoyHttpAls', 'http-als'],
    ['envoyTcpAls', 'tcp-als'],
  ] as const) {
    const c = rec(p[key]);
    if (!c) continue;
    return {
      name,
      kind,
      ...remote(c),
      ...(str(c.logName) ? { logName: str(c.logName) } : {}),
      filterStateObjectsToLog: strings(c.filterStateObjectsToLog),
      additionalRequestHeadersToLog: strings(c.additionalRequestHeadersToLog),
      additionalResponseHeadersToLog: strings(c.additionalResponseHeadersToLog),
      additionalResponseTrailersToLog: strings(c.additionalResponseTrailersToLog),
    };
  }
  const otelAls = rec(p.envoyOtelAls);
  if (otelAls) {
    const f = rec(otelAls.logFormat);
    const labels = f && rec(f.labels);
    return {
      name,
      kind: 'otel-als',
      ...remote(otelAls),
      ...(str(otelAls.logName) ? { logName: str(otelAls.logName) } : {}),
      text: f ? str(f.text) : '',
      ...(labels ? { labels } : {}),
    };
  }
  const zipkin = rec(p.zipkin);
  if (zipkin)
    return {
      name,
      kind: 'zipkin',
      ...remote(zipkin),
      maxTagLength: num(zipkin.maxTagLength),
      enable64bitTraceId: zipkin.enable64bitTraceId === true,
      path: str(zipkin.path),
    };
  const datadog = rec(p.datadog);
  if (datadog) return { name, kind: 'datadog', ...remote(datadog), maxTagLength: num(datadog.maxTagLength) };
  const sky = rec(p.skywalking);
  if (sky) return { name, kind: 'skywalking', ...remote(sky) };
  const otel = rec(p.opentelemetry);
  if (otel) {
    const http = rec(otel.http);
    const grpc = rec(otel.grpc) ?? {};
    return {
      name,
      kind: 'opentelemetry',
      ...remote(otel),
      maxTagLength: num(otel.maxTagLength),
      ...(http ? { http: { path: str(http.path), timeoutMs: ms(http.timeout), headers: headers(http.headers) } } : {}),
      grpc: { timeoutMs: ms(grpc.timeout), initialMetadata: headers(grpc.initialMetadata) },
    };
  }
  if (rec(p.prometheus) !== undefined || p.prometheus === null) return { name, kind: 'prometheus' };
  const type = Object.keys(p).find((k) => k !== 'name') ?? 'unknown';
  return { name, kind: 'other', type };
}

// mesh.go: DefaultMeshConfig — the providers every mesh has unless it redefines them by name.
const BUILTIN: readonly TelemetryProvider[] = [
  { name: 'prometheus', kind: 'prometheus' },
  { name: 'stackdriver', kind: 'other', type: 'stackdriver' },
  { name: 'envoy', kind: 'file', path: '/dev/stdout', omitEmptyValues: false },
];

/**
 * The mesh config's telemetry settings (mesh.go: DefaultMeshConfig,
 * ApplyMeshConfig): the built-in providers, replaced by name or joined by
 * the mesh config's own.
 */
export function meshTelemetry(world: World, rootNamespace: string, reads?: Reads): MeshTelemetry {
  const text = readObject(recorded(world, reads), 'ConfigMap', rootNamespace, MESH_CONFIGMAP)?.data?.['mesh'];
  // Every waypoint reads the same mesh config: parsed once per text.
  if (last && last.text === text) return last.value;
  const value = parseMesh(text);
  last = { text, value };
  return value;
}

let last: { text: string | undefined; value: MeshTelemetry } | undefined;

function parseMesh(text: string | undefined): MeshTelemetry {
  let mesh: Raw = {};
  if (text) {
    try {
      mesh = rec(YAML.parse(text)) ?? {};
    } catch {
      mesh = {};
    }
  }
  const providers = [...BUILTIN];
  for (const raw of Array.isArray(mesh.extensionProviders) ? mesh.extensionProviders : []) {
    const p = rec(raw) && provider(rec(raw) as Raw);
    if (!p) continue;
    const at = providers.findIndex((x) => x.name === p.name);
    if (at >= 0) providers[at] = p;
    else providers.push(p);
  }
  const defaults = rec(mesh.defaultProviders) ?? {};
  return {
    providers,
    defaultProviders: {
      accessLogging: strings(defaults.accessLogging),
      tracing: strings(defaults.tracing),
      // The standard install's mesh config names prometheus (helm merges a
      // user's defaultProviders into it); an explicit list, even empty, decides.
      metrics: defaults.metrics === undefined ? ['prometheus'] : strings(defaults.metrics),
    },
    accessLogFile: str(mesh.accessLogFile),
    enableTracing: mesh.enableTracing !== false,
    disableEnvoyListenerLog: mesh.disableEnvoyListenerLog === true,
    proxyTracing: proxyTracing(mesh),
  };
}

/** telemetry.go: fetchProvider — names match case-insensitively. */
export function findProvider(mesh: MeshTelemetry, name: string): TelemetryProvider | undefined {
  const want = name.toLowerCase();
  return mesh.providers.find((p) => p.name.toLowerCase() === want);
}
