import {
  encodeMessage,
  messageType,
  typeUrlOf,
  varintSize,
  writeVarint,
  type MessageName,
  type TypeMap,
} from '../../envoy';
import { encodePlain } from '../../envoy/encoder';

// The bytes of a waypoint's three non-service clusters. main_internal and
// encap are the same on every waypoint (cluster_waypoint.go:
// buildInternalUpstreamCluster takes nothing from the waypoint), so each is
// encoded once per process. connect_originate differs between waypoints
// only in the two SAN prefixes of its TLS context
// (cluster_waypoint.go: buildWaypointConnectOriginate), so everything around
// that one small message is encoded once per process and the message is
// encoded per waypoint and wrapped. A message's encoding is its fields'
// encodings in field-number order, so a message whose field F is a
// submessage is: its fields below F, F's tag and length, the submessage, its
// fields above F. test/translate/cluster-bytes.test.ts holds every cluster to
// protobufjs' encode(fromObject()) of the same cluster, byte for byte.

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];
type UpstreamTls = TypeMap['envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'];
type Validation = TypeMap['envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext'];

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

function ownCopy(b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafeSlow(b.length);
  out.set(b);
  return out;
}

// Per process, by cluster name: only the fixed clusters are kept here.
const fixed = new Map<string, Buffer>();

/** The encoding of `make()`, a cluster that is the same on every waypoint: encoded on first use. */
export function fixedClusterBytes(name: string, make: () => Cluster): Buffer {
  let b = fixed.get(name);
  if (b === undefined) {
    b = ownCopy(encodeMessage(CLUSTER, make()));
    fixed.set(name, b);
  }
  return b;
}

/** One level of nesting: the fields of a message below and above the one that varies. */
interface Level {
  before: Buffer;
  /** Tag of the varying field (length-delimited; two bytes from field 16 up). */
  tag: number;
  after: Buffer;
}

/** Splits `message`'s encoding around its field `field`, which is left out of both halves. */
function around<N extends MessageName>(name: N, message: TypeMap[N], field: string): Level {
  const type = messageType(name);
  const id = type.fields[field]?.id;
  if (id === undefined) throw new Error(`${name} has no field ${field}`);
  const below: Record<string, unknown> = {};
  const above: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message as object)) {
    const f = type.fields[k];
    if (!f) throw new Error(`${name} has no field ${k}`);
    if (f.id < id) below[k] = v;
    else if (f.id > id) above[k] = v;
  }
  return {
    before: encodePlain(type, below),
    tag: (id << 3) | 2,
    after: encodePlain(type, above),
  };
}

let levels: Level[] | undefined;

/**
 * The levels from the cluster down to the TLS context's
 * default_validation_context, outermost first, taken from a
 * connect_originate cluster and its TLS context (any waypoint's: the parts
 * kept do not depend on it).
 */
function connectLevels(cluster: Cluster, tls: UpstreamTls): Level[] {
  const common = tls.common_tls_context ?? {};
  const combined = common.combined_validation_context ?? {};
  const socket = cluster.transport_socket ?? {};
  const typeUrl = typeUrlOf(UPSTREAM_TLS);
  return [
    around(CLUSTER, cluster, 'transport_socket'),
    around('envoy.config.core.v3.TransportSocket', socket, 'typed_config'),
    around('google.protobuf.Any', { type_url: typeUrl, value: Buffer.alloc(0) }, 'value'),
    around(UPSTREAM_TLS, tls, 'common_tls_context'),
    around('envoy.extensions.transport_sockets.tls.v3.CommonTlsContext', common, 'combined_validation_context'),
    around(
      'envoy.extensions.transport_sockets.tls.v3.CommonTlsContext.CombinedCertificateValidationContext',
      combined,
      'default_validation_context',
    ),
  ];
}

/**
 * The encoding of connect_originate, whose TLS context is `tls` (built by
 * the same function as `cluster`'s). `cluster` and `tls` are only read the
 * first time, for the parts every waypoint shares.
 */
export function connectOriginateBytes(cluster: () => Cluster, tls: UpstreamTls): Buffer {
  levels ??= connectLevels(cluster(), tls);
  const validation: Validation = tls.common_tls_context?.combined_validation_context?.default_validation_context ?? {};
  const leaf = encodeMessage('envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext', validation);
  // Lengths innermost first: each level's body is its parts and the level below.
  const lengths: number[] = new Array<number>(levels.length);
  let inner = leaf.length;
  for (let i = levels.length - 1; i >= 0; i--) {
    const l = levels[i] as Level;
    lengths[i] = inner;
    inner = l.before.length + varintSize(l.tag) + varintSize(inner) + inner + l.after.length;
  }
  const out = Buffer.allocUnsafeSlow(inner);
  let p = 0;
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] as Level;
    out.set(l.before, p);
    p += l.before.length;
    p = writeVarint(out, p, l.tag);
    p = writeVarint(out, p, lengths[i] ?? 0);
  }
  out.set(leaf, p);
  p += leaf.length;
  for (let i = levels.length - 1; i >= 0; i--) {
    const after = (levels[i] as Level).after;
    out.set(after, p);
    p += after.length;
  }
  if (p !== inner) throw new Error(`connect_originate: spliced ${p} of ${inner} bytes`);
  return out;
}
