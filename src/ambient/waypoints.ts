import {
  get,
  LABEL,
  list,
  TRAFFIC_TYPES,
  WAYPOINT_CLASS,
  WAYPOINT_LISTENER,
  type Gateway,
  type GatewayListener,
  type LabelSelector,
  type TrafficType,
  type World,
} from '../model';

export interface WaypointRef {
  namespace: string;
  name: string;
}

export interface Waypoint extends WaypointRef {
  key: string;
  gateway: Gateway;
  trafficType: TrafficType;
  ready: boolean;
  /** status.addresses values (ClusterIP first when present). */
  addresses: string[];
  allowed: { from: 'Same' | 'All' | 'Selector'; selector?: LabelSelector };
  revision?: string;
  /** Problems with the listeners, per listener name (UnsupportedProtocol and the like). */
  listenerProblems: { listener: string; reason: string; message: string }[];
}

/** `<namespace>/<name>`: how waypoints are keyed everywhere (proxies, CLI, indexes). */
export const waypointKey = (r: WaypointRef) => `${r.namespace}/${r.name}`;

export interface WaypointOptions {
  /**
   * With a cluster, a waypoint is ready when its Gateway has status.addresses
   * (the controller deployed it). Directory mode has no controller to deploy
   * anything or write status, and the manifests are the whole desired state,
   * so there a valid waypoint (class istio-waypoint with the HBONE 15008
   * listener) also counts as ready. A Gateway with status.addresses is ready
   * either way.
   */
  assumeReady: boolean;
  /** The waypoint GatewayClass (default istio-waypoint). */
  gatewayClass?: string;
}

export const DEFAULT_WAYPOINT_OPTIONS: WaypointOptions = { assumeReady: false };

function trafficType(gw: Gateway, world: World): TrafficType {
  const own = gw.metadata.labels?.[LABEL.waypointFor];
  const cls = get(world, 'GatewayClass', undefined, gw.spec?.gatewayClassName ?? '')?.metadata.labels?.[
    LABEL.waypointFor
  ];
  const v = own ?? cls ?? 'service';
  return (TRAFFIC_TYPES as readonly string[]).includes(v) ? (v as TrafficType) : 'service';
}

function isHbone(l: GatewayListener): boolean {
  return l.port === WAYPOINT_LISTENER.port && l.protocol === WAYPOINT_LISTENER.protocol;
}

function listenerProblems(gw: Gateway): Waypoint['listenerProblems'] {
  const out: Waypoint['listenerProblems'] = [];
  for (const l of gw.spec?.listeners ?? []) {
    if (!isHbone(l)) {
      out.push({
        listener: l.name,
        reason: 'UnsupportedProtocol',
        message: `waypoint listeners must be ${WAYPOINT_LISTENER.protocol} on port ${WAYPOINT_LISTENER.port}; got ${l.protocol} on ${l.port}`,
      });
    }
  }
  return out;
}

/** Every Gateway of class istio-waypoint, keyed `<ns>/<name>`. */
export function discoverWaypoints(world: World, opts: WaypointOptions): Map<string, Waypoint> {
  const out = new Map<string, Waypoint>();
  const gateways = list(world, 'Gateway')
    .filter((g) => g.spec?.gatewayClassName === (opts.gatewayClass ?? WAYPOINT_CLASS))
    .sort((a, b) => (refOf(a) < refOf(b) ? -1 : 1));
  for (const gw of gateways) {
    const hbone = (gw.spec?.listeners ?? []).find(isHbone);
    const addresses = (gw.status?.addresses ?? []).map((a) => a.value).filter((v) => v !== '');
    const from = hbone?.allowedRoutes?.namespaces?.from ?? 'Same';
    const wp: Waypoint = {
      namespace: gw.metadata.namespace ?? 'default',
      name: gw.metadata.name,
      key: refOf(gw),
      gateway: gw,
      trafficType: trafficType(gw, world),
      ready: addresses.length > 0 || (opts.assumeReady && hbone !== undefined),
      addresses,
      allowed: { from, selector: hbone?.allowedRoutes?.namespaces?.selector },
      revision: gw.metadata.labels?.[LABEL.rev],
      listenerProblems: listenerProblems(gw),
    };
    out.set(wp.key, wp);
  }
  return out;
}

function refOf(g: Gateway): string {
  return waypointKey({ namespace: g.metadata.namespace ?? 'default', name: g.metadata.name });
}
