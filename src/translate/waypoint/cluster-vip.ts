import { pack, type TypeMap } from '../../envoy';
import type { TrafficPolicy } from '../../model';
import type { IstioProtocol } from '../ir';
import { struct } from '../common';
import { rawBuffer } from './cluster-defaults';
import {
  applyConnectionPool,
  applyH2Upgrade,
  applyLoadBalancer,
  applyOutlierDetection,
  initialHttpOptions,
  packHttpOptions,
  type Wrapper,
} from './cluster-policy';
import { innerTransportSocket } from './cluster-tls';
import * as names from '../names';

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];
type TransportSocket = TypeMap['envoy.config.core.v3.TransportSocket'];

/** mesh.go: DefaultMeshConfig — connectTimeout 10s. */
const CONNECT_TIMEOUT_MS = 10_000;

/** internal_upstream.go: WaypointInternalUpstreamTransportSocket around a given inner socket. */
function internalUpstream(inner: TransportSocket): TransportSocket {
  return {
    name: names.INTERNAL_UPSTREAM,
    typed_config: pack('envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport', {
      passthrough_metadata: [
        { kind: { host: {} }, name: names.ORIGINAL_DST_METADATA },
        { kind: { host: {} }, name: names.ISTIO_METADATA },
      ],
      transport_socket: inner,
    }),
  };
}

export interface VipPolicy {
  svc: { host: string; name: string; namespace: string };
  protocol?: IstioProtocol;
  policy?: TrafficPolicy;
  /** The rule's `istio.config` path; written only when a policy applies (util.go: AddConfigInfoMetadata). */
  config: string;
  /**
   * The chain, `http` or `tcp`, or `<chain>/<subset>` for a subset's cluster
   * (util.go: AddSubsetToMetadata); none on an outbound cluster without subset.
   */
  subset?: string;
  /** locality-lb.ts: localityWeighted for the cluster's policy and Service. */
  localityWeighted?: boolean;
}

/**
 * cluster_waypoint.go: buildWaypointInboundVIPCluster with a DestinationRule:
 * `base` is the cluster without one; the rule's policy is applied in
 * istiod's order, and TLS / PROXY go inside the internal_upstream socket.
 */
export function vipClusterWithPolicy(base: Cluster, v: VipPolicy): Cluster {
  const { typed_extension_protocol_options: _options, ...rest } = base;
  const http = initialHttpOptions(v.protocol);
  const w: Wrapper = { cluster: { ...rest }, ...(http ? { http } : {}) };
  w.cluster.metadata = {
    filter_metadata: {
      [names.ISTIO_METADATA]: struct({
        services: [{ host: v.svc.host, name: v.svc.name, namespace: v.svc.namespace }],
        ...(v.policy ? { config: v.config } : {}),
        ...(v.subset !== undefined ? { subset: v.subset } : {}),
      }),
    },
  };
  applyConnectionPool(w, v.policy, CONNECT_TIMEOUT_MS);
  applyH2Upgrade(w, v.policy);
  applyOutlierDetection(w.cluster, v.policy?.outlierDetection);
  applyLoadBalancer(w.cluster, v.policy?.loadBalancer, v.localityWeighted === true);
  const inner = innerTransportSocket(w, v.policy, rawBuffer());
  if (inner) w.cluster.transport_socket = internalUpstream(inner);
  return packHttpOptions(w);
}
