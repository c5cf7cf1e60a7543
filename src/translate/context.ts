import type { AmbientIndex, Waypoint } from '../ambient';
import {
  DEFAULT_CLUSTER_ID,
  DEFAULT_DOMAIN,
  DEFAULT_TRUST_DOMAIN,
  ROOT_NAMESPACE,
  WAYPOINT_CLASS,
  type World,
} from '../model';
import type { Reads } from './reads';

export interface TranslateOptions {
  trustDomain: string;
  rootNamespace: string;
  clusterId: string;
  domain: string;
  /** The waypoint GatewayClass: its Gateways are waypoints, and policies may target it. */
  gatewayClass: string;
  /**
   * istiod's ENABLE_WILDCARD_HOST_SERVICE_ENTRIES_FOR_TLS (off by default):
   * serve TLS ports of wildcard DYNAMIC_DNS ServiceEntries, routed by SNI.
   */
  wildcardTlsServiceEntries?: boolean;
}

export const DEFAULT_OPTIONS: TranslateOptions = {
  trustDomain: DEFAULT_TRUST_DOMAIN,
  rootNamespace: ROOT_NAMESPACE,
  clusterId: DEFAULT_CLUSTER_ID,
  domain: DEFAULT_DOMAIN,
  gatewayClass: WAYPOINT_CLASS,
};

/** Everything one waypoint's translation may consult; `reads` records what it did. */
export interface WaypointContext {
  world: World;
  index: AmbientIndex;
  waypoint: Waypoint;
  opts: TranslateOptions;
  reads: Reads;
  /**
   * The place of the proxies this translation is for (place-key.ts: their
   * `region/zone/subzone`, and the failoverPriority label values that tell
   * the waypoint's pods apart), when the waypoint's pods span several;
   * unset, the translation is the one every proxy of the waypoint shares.
   */
  locality?: string;
}

/** Inputs for computing statuses (not tied to one waypoint); `reads`, when given, records what one status read. */
export interface StatusContext {
  world: World;
  index: AmbientIndex;
  opts: TranslateOptions;
  reads?: Reads;
}
