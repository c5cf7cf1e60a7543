// Whether an EnvoyFilter patch value reads as the Envoy message its applyTo
// names, as istiod decodes it (`pkg/config/xds/xds.go: BuildXDSObjectFromStruct`
// with strict off: proto3 JSON, unknown fields and enum names ignored, an
// `@type` that names no known message refused). Messages are the protobufjs
// types of the Envoy API we build against.
import * as protobuf from 'protobufjs';
import { messageType, typeForUrl } from '../envoy/registry';

/** `BuildXDSObjectFromStruct`: the message each applyTo decodes to. */
const APPLY_TO_TYPE: Record<string, string> = {
  CLUSTER: 'envoy.config.cluster.v3.Cluster',
  LISTENER: 'envoy.config.listener.v3.Listener',
  ROUTE_CONFIGURATION: 'envoy.config.route.v3.RouteConfiguration',
  FILTER_CHAIN: 'envoy.config.listener.v3.FilterChain',
  HTTP_FILTER: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
  NETWORK_FILTER: 'envoy.config.listener.v3.Filter',
  VIRTUAL_HOST: 'envoy.config.route.v3.VirtualHost',
  HTTP_ROUTE: 'envoy.config.route.v3.Route',
  EXTENSION_CONFIG: 'envoy.config.core.v3.TypedExtensionConfig',
  BOOTSTRAP: 'envoy.config.bootstrap.v3.Bootstrap',
  LISTENER_FILTER: 'envoy.config.listener.v3.ListenerFilter',
};

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const INT32 = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32 = new Set(['uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);
const WRAPPERS: Record<string, string> = {
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.DoubleValue': 'double',
};

function intText(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  // proto3 JSON also takes an exponent form that lands on an integer.
  if (typeof v === 'string' && /^-?\d+(\.\d+)?[eE][+-]?\d+$/.test(v) && Number.isInteger(Number(v)))
    return BigInt(Number(v));
  return undefined;
}

/** A scalar of proto type `t`, or the problem with it. */
function scalarProblem(t: string, v: unknown): string | undefined {
  const bad = `invalid value for ${t} field: ${JSON.stringify(v)}`;
  if (t === 'string') return typeof v === 'string' ? undefined : bad;
  if (t === 'bool') return typeof v === 'boolean' ? undefined : bad;
  if (t === 'bytes') return typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v) ? undefined : bad;
  if (t === 'double' || t === 'float') {
    if (typeof v === 'number') return undefined;
    return typeof v === 'string' && (['NaN', 'Infinity', '-Infinity'].includes(v) || Number.isFinite(Number(v)))
      ? undefined
      : bad;
  }
  const n = intText(v);
  if (n === undefined) return bad;
  if (INT32.has(t)) return n >= -(2n ** 31n) && n < 2n ** 31n ? undefined : bad;
  if (UINT32.has(t)) return n >= 0n && n < 2n ** 32n ? undefined : bad;
  if (INT64.has(t)) return t.startsWith('u') || t === 'fixed64' ? (n >= 0n ? undefined : bad) : undefined;
  return undefined;
}

const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Problems of `v` read as message `type` (paths below `at`). */
function messageProblems(type: protobuf.Type, v: unknown, at: string, out: string[]): void {
  const name = type.fullName;
  if (name === '.google.protobuf.Value') return;
  if (name === '.google.protobuf.Struct') {
    if (!isRecord(v)) out.push(`${at}: invalid value for google.protobuf.Struct: ${JSON.stringify(v)}`);
    return;
  }
  if (name === '.google.protobuf.ListValue') {
    if (!Array.isArray(v)) out.push(`${at}: invalid value for google.protobuf.ListValue: ${JSON.stringify(v)}`);
    return;
  }
  if (name === '.google.protobuf.Duration') {
    if (typeof v !== 'string' || !DURATION.test(v))
      out.push(`${at}: invalid google.protobuf.Duration value ${JSON.stringify(v)}`);
    return;
  }
  if (name === '.google.protobuf.Timestamp') {
    if (typeof v !== 'string' || !TIMESTAMP.test(v))
      out.push(`${at}: invalid google.protobuf.Timestamp value ${JSON.stringify(v)}`);
    return;
  }
  if (name === '.google.protobuf.FieldMask') {
    if (typeof v !== 'string') out.push(`${at}: invalid google.protobuf.FieldMask value ${JSON.stringify(v)}`);
    return;
  }
  const wrapped = WRAPPERS[name];
  if (wrapped) {
    const p = scalarProblem(wrapped, v);
    if (p) out.push(`${at}: ${p}`);
    return;
  }
  if (!isRecord(v)) return void out.push(`${at}: invalid value for ${name.slice(1)}: ${JSON.stringify(v)}`);
  if (name === '.google.protobuf.Any') return anyProblems(v, at, out);
  type.resolveAll();
  const byJson = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byJson.set(f.name, f);
    byJson.set(camel(f.name), f);
  }
  const oneofs = new Map<string, string>();
  for (const [k, x] of Object.entries(v)) {
    const f = byJson.get(k);
    if (!f || x === null) continue; // unknown fields are dropped; null means unset
    const where = `${at}.${k}`;
    if (f.partOf) {
      const other = oneofs.get(f.partOf.name);
      if (other) out.push(`${where}: field ${k} is in oneof ${f.partOf.name} with ${other}, which is already set`);
      oneofs.set(f.partOf.name, k);
    }
    if (f.map) {
      if (!isRecord(x)) out.push(`${where}: invalid value for map field ${k}: ${JSON.stringify(x)}`);
      else for (const [mk, mv] of Object.entries(x)) fieldValue(f, mv, `${where}[${mk}]`, out);
    } else if (f.repeated) {
      if (!Array.isArray(x)) out.push(`${where}: invalid value for repeated field ${k}: ${JSON.stringify(x)}`);
      else x.forEach((item, i) => fieldValue(f, item, `${where}[${i}]`, out));
    } else fieldValue(f, x, where, out);
  }
}

function fieldValue(f: protobuf.Field, v: unknown, at: string, out: string[]): void {
  const t = f.resolvedType;
  if (t instanceof protobuf.Type) return messageProblems(t, v, at, out);
  if (t instanceof protobuf.Enum) {
    // Unknown enum names are dropped like unknown fields; numbers are kept as they are.
    if (typeof v !== 'string' && !(typeof v === 'number' && Number.isInteger(v)))
      out.push(`${at}: invalid value for enum field ${f.name}: ${JSON.stringify(v)}`);
    return;
  }
  const p = scalarProblem(f.type, v);
  if (p) out.push(`${at}: ${p}`);
}

/** An Any: its `@type` must name a message istiod knows; the rest is that message. */
function anyProblems(v: Record<string, unknown>, at: string, out: string[]): void {
  const url = v['@type'];
  if (typeof url !== 'string' || url === '') return void out.push(`${at}: missing "@type" field`);
  const type = typeForUrl(url);
  if (!type) {
    // istiod imports only v3 protos: a v2 type never resolves. Other types
    // we do not load may well be known to istiod, so they are not refused.
    if (url.includes('.v2.'))
      out.push(
        `${at}: referenced type unknown (hint: try using the v3 XDS API): could not resolve Any message type: ${url}`,
      );
    return;
  }
  const rest = Object.fromEntries(Object.entries(v).filter(([k]) => k !== '@type'));
  // Well-known types carry their JSON form under `value`.
  const wkt = type.fullName.startsWith('.google.protobuf.');
  messageProblems(type, wkt ? rest.value : rest, at, out);
}

/**
 * Problems of a patch value (at path `at`) for `applyTo`, each `path: problem`;
 * undefined for an applyTo istiod has no message for (its caller says so).
 */
export function patchValueProblems(applyTo: string, value: unknown, at: string): string[] | undefined {
  const typeName = APPLY_TO_TYPE[applyTo];
  if (!typeName) return undefined;
  const out: string[] = [];
  messageProblems(messageType(typeName), value, at, out);
  return out;
}
