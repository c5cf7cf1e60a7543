import type { KubeObject, NamespacedObject } from './meta';

export type Namespace = KubeObject<'Namespace', unknown, { phase?: string }>;

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  selector?: Record<string, string>;
  externalName?: string;
  /** PreferClose, PreferSameZone or PreferSameNode (locality-lb.ts reads it). */
  trafficDistribution?: string;
}

export type Service = NamespacedObject<'Service', ServiceSpec, { conditions?: import('./meta').Condition[] }>;

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface PodSpec {
  nodeName?: string;
  serviceAccountName?: string;
  hostNetwork?: boolean;
  containers?: { name: string; image?: string; ports?: ContainerPort[] }[];
}

export interface PodStatus {
  phase?: string;
  podIP?: string;
  podIPs?: { ip: string }[];
  conditions?: { type: string; status: string }[];
}

export type Pod = NamespacedObject<'Pod', PodSpec, PodStatus>;

export interface EndpointSliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}

/** EndpointSlice keeps its fields at the top level, not under spec. */
export interface EndpointSlice extends NamespacedObject<'EndpointSlice'> {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: EndpointSliceEndpoint[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

/** ConfigMap keeps `data` at the top level. */
export interface ConfigMap extends NamespacedObject<'ConfigMap'> {
  data?: Record<string, string>;
}

/**
 * A cluster node. Only its name and labels are read (the topology labels give
 * its pods' locality); sources drop the rest, since nodes carry large statuses.
 */
export type Node = KubeObject<'Node'>;
