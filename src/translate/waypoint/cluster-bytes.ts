import { encodeMessage, varintSize, writeVarint, type TypeMap } from '../../envoy';
import { derive } from '../derived';
import { once, seconds } from '../common';
import { ISTIO_METADATA as ISTIO } from '../names';
import { defaultCircuitBreakers, edsConfig, noPanicLbConfig, waypointInternalUpstream } from './cluster-defaults';

// The bytes of a waypoint's EDS cluster, spliced from parts. All but five
// of its fields are the same on every EDS cluster of every waypoint
// (cluster_waypoint.go: buildWaypointInboundVIPCluster gives them all
// istiod's defaults), and the protocol options are one of a few shared
// values: those are encoded once per process and their bytes copied. A
// message's encoding is its fields' encodings in field-number order, so
// each part is encoded by the ordinary encoder (encodeMessage of a Cluster
// holding only those fields) and laid out in that order. The name, the EDS
// service name, alt_stat_name and the `istio` metadata are written straight
// into the cluster's buffer. test/translate/cluster-bytes.test.ts holds the
// result to protobufjs' encode(fromObject()) of the whole cluster, byte for
// byte.

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];
type ProtocolOptions = NonNullable<Cluster['typed_extension_protocol_options']>;

const CLUSTER = 'envoy.config.cluster.v3.Cluster';

/** mesh.go: DefaultMeshConfig — connectTimeout 10s (every waypoint cluster that sets one). */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Tags (field number << 3 | 2) of the fields written here. */
const TAG_NAME = (1 << 3) | 2;
const TAG_EDS_CLUSTER_CONFIG = (3 << 3) | 2;
const TAG_SERVICE_NAME = (2 << 3) | 2; // EdsClusterConfig.service_name
const TAG_ALT_STAT_NAME = (28 << 3) | 2;

const parts = once(() => ({
  // field 2
  type: encodeMessage(CLUSTER, { type: 'EDS' }),
  // EdsClusterConfig field 1, the same ConfigSource for every cluster.
  edsSource: encodeMessage('envoy.config.cluster.v3.Cluster.EdsClusterConfig', {
    eds_config: edsConfig('').eds_config,
  }),
  // fields 4, 6, 10, 24: all below metadata's 25.
  middle: encodeMessage(CLUSTER, {
    connect_timeout: seconds(CONNECT_TIMEOUT_MS),
    lb_policy: 'LEAST_REQUEST',
    circuit_breakers: defaultCircuitBreakers(),
    transport_socket: waypointInternalUpstream(),
  }),
  // field 27
  lb: encodeMessage(CLUSTER, { common_lb_config: noPanicLbConfig() }),
}));

// Field 36 encoded once per value: the values are the once() protocol
// options, never modified, so the same object always has the same bytes.
const optionBytes = derive((o: ProtocolOptions) => encodeMessage(CLUSTER, { typed_extension_protocol_options: o }));

export interface EdsClusterParts {
  name: string;
  altStatName: string;
  /** The service in `istio` metadata (serviceMetadata). */
  host: string;
  service: string;
  namespace: string;
  /** `istio.subset` after the services (serviceMetadata), when set. */
  subset?: string;
  options?: ProtocolOptions;
}

/** Size of a field with a one-byte tag and a body of `n` bytes. */
const ld = (n: number) => 1 + varintSize(n) + n;

// The buffer being written and the position in it (one cluster at a time).
const NONE = Buffer.alloc(0);
let out = NONE;
let at = 0;

/** Copies `part` to `at` (TypedArray#set: Buffer#copy validates its arguments each call). */
function put(part: Uint8Array, p: number): number {
  out.set(part, p);
  return p + part.length;
}

function head(tag: number, len: number): void {
  out[at++] = tag;
  at = writeVarint(out, at, len);
}

/** Writes `s` if it is ASCII (its UTF-8 is then one byte a character); false if it is not. */
function ascii(s: string): boolean {
  const b = out;
  let p = at;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return false;
    b[p++] = c;
  }
  at = p;
  return true;
}

/** Body size of a Struct map entry whose Value holds a string of `v` bytes under a `k`-byte key. */
const stringEntry = (k: number, v: number) => ld(k) + ld(ld(v));

/** A Struct map entry (field 1): key (1), then Value (2) with string_value (3). */
function writeStringEntry(key: string, v: string): boolean {
  head(0x0a, stringEntry(key.length, v.length));
  head(0x0a, key.length);
  ascii(key);
  head(0x12, ld(v.length));
  head(0x1a, v.length);
  return ascii(v);
}

/**
 * Field 25, the `istio` metadata serviceMetadata builds:
 * filter_metadata { istio: { services: [{ host, name, namespace }] } },
 * written as protobufjs writes it — map entries key (1) then value (2) in
 * insertion order; Value.struct_value is field 5, Value.list_value field 6,
 * ListValue.values field 1. Sizes are worked out innermost first (into the
 * variables below, not an array per cluster), then the field is written
 * outermost first, straight into the cluster's buffer.
 */
let svcSize = 0;
let structValueSize = 0;
let listSize = 0;
let listValueSize = 0;
let servicesEntrySize = 0;
let istioSize = 0;
let metaEntrySize = 0;
let metaSize = 0;

/** The whole field's size, tag included; leaves its parts' sizes in the variables above. */
function metadataSize(p: EdsClusterParts): number {
  svcSize =
    ld(stringEntry(4, p.host.length)) + ld(stringEntry(4, p.service.length)) + ld(stringEntry(9, p.namespace.length));
  structValueSize = ld(svcSize);
  listSize = ld(structValueSize);
  listValueSize = ld(listSize);
  servicesEntrySize = ld(8) + ld(listValueSize);
  istioSize = ld(servicesEntrySize) + (p.subset ? ld(stringEntry(6, p.subset.length)) : 0);
  metaEntrySize = ld(ISTIO.length) + ld(istioSize);
  metaSize = ld(metaEntrySize);
  return 2 + varintSize(metaSize) + metaSize;
}

/** Writes the field metadataSize(p) measured last. */
function writeMetadata(p: EdsClusterParts): boolean {
  out[at++] = 0xca; // field 25, two bytes
  out[at++] = 0x01;
  at = writeVarint(out, at, metaSize);
  head(0x0a, metaEntrySize);
  head(0x0a, ISTIO.length);
  ascii(ISTIO);
  head(0x12, istioSize);
  head(0x0a, servicesEntrySize);
  head(0x0a, 8);
  ascii('services');
  head(0x12, listValueSize);
  head(0x32, listSize);
  head(0x0a, structValueSize);
  head(0x2a, svcSize);
  return (
    writeStringEntry('host', p.host) &&
    writeStringEntry('name', p.service) &&
    writeStringEntry('namespace', p.namespace) &&
    (!p.subset || writeStringEntry('subset', p.subset))
  );
}

/**
 * The encoding of the EDS cluster `full(p)` (which the ordinary encoder
 * writes instead for the rare name that is not ASCII). The bytes own their
 * memory, as prepare()'s do.
 */
export function edsClusterBytes(p: EdsClusterParts, full: (p: EdsClusterParts) => Cluster): Buffer {
  const { name, altStatName } = p;
  const k = parts();
  const opts = p.options ? optionBytes(p.options) : undefined;
  const n = name.length;
  const a = altStatName.length;
  const edsBody = k.edsSource.length + ld(n);
  const meta = metadataSize(p);
  const size =
    ld(n) +
    k.type.length +
    ld(edsBody) +
    k.middle.length +
    meta +
    k.lb.length +
    2 + // field 28's tag takes two bytes
    varintSize(a) +
    a +
    (opts?.length ?? 0);
  out = Buffer.allocUnsafeSlow(size);
  at = 0;
  head(TAG_NAME, n);
  let ok = ascii(name);
  at = put(k.type, at);
  head(TAG_EDS_CLUSTER_CONFIG, edsBody);
  at = put(k.edsSource, at);
  head(TAG_SERVICE_NAME, n);
  ok = ok && ascii(name);
  at = put(k.middle, at);
  ok = ok && writeMetadata(p);
  at = put(k.lb, at);
  at = writeVarint(out, at, TAG_ALT_STAT_NAME);
  at = writeVarint(out, at, a);
  ok = ok && ascii(altStatName);
  if (opts) at = put(opts, at);
  const buf = out;
  out = NONE;
  if (!ok) return ownCopy(encodeMessage(CLUSTER, full(p)));
  if (at !== size) throw new Error(`cluster ${name}: spliced ${at} of ${size} bytes`);
  return buf;
}

function ownCopy(b: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(b.length);
  b.copy(out);
  return out;
}
