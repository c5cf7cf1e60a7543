// The mesh config (`mesh` in the `istio` ConfigMap), as far as we read it: its
// access-log encoding and format, the default exportTo of DestinationRules,
// the default HTTP retry policy,
// and its ext_authz extension providers,
// checked as istiod checks them
// (`validation/agent/extensionprovider.go: validateExtensionProvider`). An
// invalid mesh config is refused whole and the last good one stays, as
// istiod's mesh watcher keeps its previous config when a new one fails.
import YAML from 'yaml';
import { rule } from './checks';
import { parseIp, parseIstioDuration, parseStatusOnError } from './values';

const FQDN = /^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

function service(s: unknown): string | undefined {
  if (typeof s !== 'string' || s === '') return 'service must not be empty';
  const parts = s.split('/');
  if (parts.length > 2) return `invalid service fmt ${s}`;
  const host = parts[parts.length - 1] ?? '';
  if (parts.length === 2 && parts[0] === '') return `invalid service fmt ${s}`;
  return FQDN.test(host) || parseIp(host).ok ? undefined : `invalid service fmt ${s}`;
}

function extAuthz(cfg: Record<string, unknown>, at: string, http: boolean): [string, string][] {
  const out: [string, string][] = [];
  const port = cfg.port;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)
    out.push([`${at}.port`, `invalid service port: port number ${String(port)} must be in the range 1..65535`]);
  const svc = service(cfg.service);
  if (svc) out.push([`${at}.service`, svc]);
  if (cfg.statusOnError !== undefined && cfg.statusOnError !== '') {
    const r = parseStatusOnError(String(cfg.statusOnError));
    if (!r.ok) out.push([`${at}.statusOnError`, r.problem]);
  }
  if (cfg.timeout !== undefined) {
    const r = parseIstioDuration(String(cfg.timeout));
    if (!r.ok) out.push([`${at}.timeout`, r.problem]);
  }
  if (http && cfg.pathPrefix !== undefined && !String(cfg.pathPrefix).startsWith('/'))
    out.push([`${at}.pathPrefix`, `pathPrefix should begin with \`/\` but found "${String(cfg.pathPrefix)}"`]);
  return out;
}

/** Telemetry providers that send to a service (extensionprovider.go: validateExtensionProviderTracing*, ValidateExtensionProviderEnvoy*Als). */
const REMOTE_TELEMETRY = [
  'zipkin',
  'datadog',
  'skywalking',
  'opentelemetry',
  'envoyOtelAls',
  'envoyHttpAls',
  'envoyTcpAls',
];

function telemetryProvider(p: Record<string, unknown>, at: string): [string, string][] {
  const out: [string, string][] = [];
  for (const key of REMOTE_TELEMETRY) {
    const cfg = p[key];
    if (cfg === undefined) continue;
    if (cfg === null || typeof cfg !== 'object') {
      out.push([`${at}.${key}`, 'must be an object']);
      continue;
    }
    const c = cfg as Record<string, unknown>;
    const svc = service(c.service);
    if (svc) out.push([`${at}.${key}.service`, svc]);
    const port = c.port;
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)
      out.push([
        `${at}.${key}.port`,
        `invalid service port: port number ${String(port)} must be in the range 1..65535`,
      ]);
    if (key === 'opentelemetry' && c.grpc !== undefined && c.http !== undefined)
      out.push([`${at}.${key}`, 'OpenTelemetryTracingProvider cannot specify both grpc and http']);
  }
  return out;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * `defaultDestinationRuleExportTo`, `defaultVirtualServiceExportTo`: a list
 * of strings, or istiod's mesh config parse fails; each entry `.`, `*` or a
 * namespace name, as an object's own exportTo entries (visibility.go:
 * Instance.Validate).
 */
function exportToDefault(field: string, v: unknown): [string, string][] {
  const at = `data.mesh.${field}`;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return [[at, 'must be a list']];
  const out: [string, string][] = [];
  v.forEach((e: unknown, i) => {
    if (typeof e !== 'string') out.push([`${at}[${i}]`, 'must be a string']);
    else if (e !== '.' && e !== '*' && !(e.length <= 63 && DNS1123_LABEL.test(e)))
      out.push([`${at}[${i}]`, 'only .,*, or a valid DNS 1123 label is allowed as exportTo entry']);
  });
  return out;
}

/**
 * `defaultHttpRetryPolicy`: an HTTPRetry whose fields have their types, or
 * istiod's mesh config parse fails; durations as protobuf durations.
 */
function retryDefault(v: unknown): [string, string][] {
  const at = 'data.mesh.defaultHttpRetryPolicy';
  if (v === undefined || v === null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) return [[at, 'must be an object']];
  const r = v as Record<string, unknown>;
  const out: [string, string][] = [];
  if (r.attempts !== undefined && !(Number.isInteger(r.attempts) && (r.attempts as number) >= 0))
    out.push([`${at}.attempts`, 'attempts cannot be negative']);
  if (r.retryOn !== undefined && typeof r.retryOn !== 'string') out.push([`${at}.retryOn`, 'must be a string']);
  for (const k of ['retryRemoteLocalities', 'retryIgnorePreviousHosts'])
    if (r[k] !== undefined && typeof r[k] !== 'boolean') out.push([`${at}.${k}`, 'must be true or false']);
  for (const k of ['perTryTimeout', 'backoff']) {
    if (r[k] === undefined) continue;
    const d = parseIstioDuration(String(r[k]));
    if (!d.ok) out.push([`${at}.${k}`, d.problem]);
  }
  return out;
}

/** Checks `data.mesh` of a ConfigMap; the path names the provider inside the mesh config. */
export const meshConfigMap = rule((o) => {
  const text = (o.data as Record<string, unknown> | undefined)?.mesh;
  if (typeof text !== 'string') return [];
  let mesh: unknown;
  try {
    mesh = YAML.parse(text);
  } catch (e) {
    return [['data.mesh', `cannot parse: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`]];
  }
  if (mesh === null || mesh === undefined) return [];
  if (typeof mesh !== 'object' || Array.isArray(mesh)) return [['data.mesh', 'must be a YAML object']];
  const out: [string, string][] = [];
  // Enum and string fields istiod's mesh config parse refuses when mistyped.
  const m = mesh as { accessLogEncoding?: unknown; accessLogFormat?: unknown };
  if (m.accessLogEncoding !== undefined && !['TEXT', 'JSON', 0, 1].includes(m.accessLogEncoding as string | number))
    out.push(['data.mesh.accessLogEncoding', `must be TEXT or JSON, not ${JSON.stringify(m.accessLogEncoding)}`]);
  if (m.accessLogFormat !== undefined && typeof m.accessLogFormat !== 'string')
    out.push(['data.mesh.accessLogFormat', 'must be a string']);
  for (const field of ['defaultDestinationRuleExportTo', 'defaultVirtualServiceExportTo'])
    out.push(...exportToDefault(field, (mesh as Record<string, unknown>)[field]));
  out.push(...retryDefault((mesh as Record<string, unknown>).defaultHttpRetryPolicy));
  const providers = (mesh as { extensionProviders?: unknown }).extensionProviders;
  if (providers === undefined) return out;
  if (!Array.isArray(providers)) return [...out, ['data.mesh.extensionProviders', 'must be a list']];
  const seen = new Set<string>();
  providers.forEach((p: Record<string, unknown> | null, i) => {
    const at = `data.mesh.extensionProviders[${i}]`;
    if (p === null || typeof p !== 'object') return void out.push([at, 'must be an object']);
    if (typeof p.name !== 'string' || p.name === '') out.push([`${at}.name`, 'empty extension provider name']);
    else if (seen.has(p.name)) out.push([`${at}.name`, `duplicate extension provider name ${p.name}`]);
    else seen.add(p.name);
    for (const [key, http] of [
      ['envoyExtAuthzGrpc', false],
      ['envoyExtAuthzHttp', true],
    ] as const) {
      const cfg = p[key];
      if (cfg === undefined) continue;
      if (cfg === null || typeof cfg !== 'object') out.push([`${at}.${key}`, 'must be an object']);
      else out.push(...extAuthz(cfg as Record<string, unknown>, `${at}.${key}`, http));
    }
    out.push(...telemetryProvider(p, at));
  });
  return out;
});
