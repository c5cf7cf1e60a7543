import { encodeMessage, type TypeMap } from '../envoy';
import { once, seconds } from './common';
import { defaultCircuitBreakers, edsConfig, noPanicLbConfig, waypointInternalUpstream } from './cluster-defaults';

// The bytes of a waypoint's EDS cluster, spliced from parts. All but four
// of its fields are the same on every EDS cluster of every waypoint
// (cluster_waypoint.go: buildWaypointInboundVIPCluster gives them all
// istiod's defaults), and the metadata and protocol options are one of a
// few shared values; encoding them once per process and copying their
// bytes is what lets a waypoint with thousands of clusters encode them at
// the rate of a memcpy. A message's encoding is its fields' encodings in
// field-number order, so the parts are each encoded by the ordinary encoder
// (encodeMessage of a Cluster holding only those fields) and laid out in
// that order. test/translate/cluster-bytes.test.ts holds the result to
// encodeMessage of the whole cluster, byte for byte.

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];
type Metadata = NonNullable<Cluster['metadata']>;
type ProtocolOptions = NonNullable<Cluster['typed_extension_protocol_options']>;

const CLUSTER = 'envoy.config.cluster.v3.Cluster';

/** mesh.go: DefaultMeshConfig — connectTimeout 10s (as clusters.ts). */
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

// Field 25 and field 36 encoded once per value: the values are shared
// (serviceMetadata's per-service cache, the once() protocol options) and
// never modified, so the same object always has the same bytes.
const metadataBytes = new WeakMap<Metadata, Buffer>();
const optionBytes = new WeakMap<ProtocolOptions, Buffer>();

function fieldOf<V extends object>(cache: WeakMap<V, Buffer>, value: V, encode: (v: V) => Buffer): Buffer {
  let b = cache.get(value);
  if (b === undefined) {
    b = encode(value);
    cache.set(value, b);
  }
  return b;
}

const varintSize = (n: number): number => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

function writeVarint(buf: Buffer, p: number, v: number): number {
  while (v > 127) {
    buf[p++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

const ASCII = /^[\x00-\x7f]*$/;

export interface EdsClusterParts {
  name: string;
  altStatName: string;
  metadata: Metadata;
  options?: ProtocolOptions;
}

/**
 * The encoding of the EDS cluster `full` (the same cluster as a message,
 * for the rare name that is not ASCII, which the ordinary encoder writes).
 * The bytes own their memory, as prepare()'s do.
 */
export function edsClusterBytes(p: EdsClusterParts, full: () => Cluster): Buffer {
  const { name, altStatName } = p;
  if (!ASCII.test(name) || !ASCII.test(altStatName)) return ownCopy(encodeMessage(CLUSTER, full()));
  const k = parts();
  const meta = fieldOf(metadataBytes, p.metadata, (m) => encodeMessage(CLUSTER, { metadata: m }));
  const opts = p.options
    ? fieldOf(optionBytes, p.options, (o) => encodeMessage(CLUSTER, { typed_extension_protocol_options: o }))
    : undefined;
  const n = name.length;
  const a = altStatName.length;
  const nameField = 1 + varintSize(n) + n;
  const edsBody = k.edsSource.length + 1 + varintSize(n) + n;
  const size =
    nameField +
    k.type.length +
    1 +
    varintSize(edsBody) +
    edsBody +
    k.middle.length +
    meta.length +
    k.lb.length +
    2 + // field 28's tag takes two bytes
    varintSize(a) +
    a +
    (opts?.length ?? 0);
  const buf = Buffer.allocUnsafeSlow(size);
  let pos = 0;
  buf[pos++] = TAG_NAME;
  pos = writeVarint(buf, pos, n);
  pos += buf.write(name, pos, n, 'latin1');
  pos += k.type.copy(buf, pos);
  buf[pos++] = TAG_EDS_CLUSTER_CONFIG;
  pos = writeVarint(buf, pos, edsBody);
  pos += k.edsSource.copy(buf, pos);
  buf[pos++] = TAG_SERVICE_NAME;
  pos = writeVarint(buf, pos, n);
  pos += buf.write(name, pos, n, 'latin1');
  pos += k.middle.copy(buf, pos);
  pos += meta.copy(buf, pos);
  pos += k.lb.copy(buf, pos);
  pos = writeVarint(buf, pos, TAG_ALT_STAT_NAME);
  pos = writeVarint(buf, pos, a);
  pos += buf.write(altStatName, pos, a, 'latin1');
  if (opts) pos += opts.copy(buf, pos);
  if (pos !== size) throw new Error(`cluster ${name}: spliced ${pos} of ${size} bytes`);
  return buf;
}

function ownCopy(b: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(b.length);
  b.copy(out);
  return out;
}
