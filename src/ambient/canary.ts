import { get, LABEL, NONE, type KubeObject, type World } from '../model';
import { admits, type Binding, type BindReason } from './binding';
import { waypointKey, type Waypoint } from './waypoints';

// What a bound service adds to its waypoint binding: whether ingress gateways
// should go through the waypoint, and a canary waypoint taking a share of its
// connections (pilot/pkg/serviceregistry/ambient/services.go:
// ingressUseWaypointFromLabels; waypoints.go: buildWeightedWaypoints,
// ResolveUseWaypointCanary, getUseWaypointCanary, getCanaryWeight,
// resolveCanaryWaypoint; status.go: ReportWaypointCanary*).

export const INGRESS_USE_WAYPOINT = 'istio.io/ingress-use-waypoint';
export const USE_WAYPOINT_CANARY = 'istio.io/use-waypoint-canary';
export const USE_WAYPOINT_CANARY_NAMESPACE = 'istio.io/use-waypoint-canary-namespace';
export const USE_WAYPOINT_CANARY_WEIGHT = 'istio.io/use-waypoint-canary-weight';

export interface WaypointExtras {
  /** The ingress label is set on the service or its namespace, and whether it says true. */
  ingressLabelPresent: boolean;
  ingressUseWaypoint: boolean;
  /** Primary then canary, with their weights (100 - w, w). */
  weighted?: { waypoint: Waypoint; weight: number }[];
  /** Why the canary declared is not used; the service stays on its primary waypoint. */
  canaryError?: BindReason;
}

/** Go's strconv.ParseBool. */
function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** getCanaryWeight: a percentage, 0 when absent; undefined when not an integer in [0, 100]. */
function canaryWeight(own: KubeObject, ns: KubeObject | undefined): number | undefined {
  const v =
    own.metadata.annotations?.[USE_WAYPOINT_CANARY_WEIGHT] ?? ns?.metadata.annotations?.[USE_WAYPOINT_CANARY_WEIGHT];
  if (v === undefined) return 0;
  if (!/^[+-]?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 0 && n <= 100 ? n : undefined;
}

/**
 * The extras of an object bound to `primary` (nothing when it is not bound).
 * The canary is read at the level the primary came from: the namespace's
 * canary labels count only when the object names no waypoint itself.
 */
export function waypointExtras(
  o: KubeObject,
  binding: Binding | undefined,
  world: World,
  waypoints: ReadonlyMap<string, Waypoint>,
): WaypointExtras | undefined {
  const nsObj = get(world, 'Namespace', undefined, o.metadata.namespace ?? 'default');
  return waypointExtrasIn(o, binding, nsObj, waypoints);
}

/** waypointExtras, given the object's Namespace: the only other object it reads. */
export function waypointExtrasIn(
  o: KubeObject,
  binding: Binding | undefined,
  nsObj: KubeObject | undefined,
  waypoints: ReadonlyMap<string, Waypoint>,
): WaypointExtras | undefined {
  if (binding?.kind !== 'bound') return undefined;
  const primary = waypoints.get(waypointKey(binding.waypoint));
  if (!primary) return undefined;
  const nsName = o.metadata.namespace ?? 'default';
  const own = o.metadata.labels ?? {};
  const nsLabels = nsObj?.metadata.labels ?? {};
  const ingressRaw = own[INGRESS_USE_WAYPOINT] ?? nsLabels[INGRESS_USE_WAYPOINT];
  const out: WaypointExtras = {
    ingressLabelPresent: ingressRaw !== undefined,
    ingressUseWaypoint: ingressRaw !== undefined && parseBool(ingressRaw) === true,
  };
  const nsMeta = own[LABEL.useWaypoint] === undefined ? nsObj : undefined;
  const labels =
    own[USE_WAYPOINT_CANARY] === undefined && nsMeta?.metadata.labels?.[USE_WAYPOINT_CANARY] !== undefined
      ? (nsMeta.metadata.labels ?? {})
      : own;
  const name = labels[USE_WAYPOINT_CANARY];
  if (name === undefined || name === '' || name === NONE) return out;
  const key = `${labels[USE_WAYPOINT_CANARY_NAMESPACE] ?? nsName}/${name}`;
  const weight = canaryWeight(o, nsMeta);
  const fail = (reason: string, message: string) => ({ ...out, canaryError: { reason, message } });
  if (key === primary.key)
    return fail('CanarySameAsPrimary', `canary waypoint "${key}" must differ from the primary waypoint`);
  if (weight === undefined)
    return fail('CanaryInvalidWeight', `canary waypoint "${key}" has an invalid weight; must be an integer in [0,100]`);
  const canary = waypoints.get(key);
  if (!canary || !canary.ready) return fail('WaypointIsNotReady', `waypoint "${key}" is not ready`);
  if (!admits(canary, nsName, nsLabels))
    return fail('AttachmentDenied', `we are not permitted to attach to waypoint "${key}" (missing allowedRoutes?)`);
  if (canary.trafficType !== 'service' && canary.trafficType !== 'all')
    return fail(
      'UnsupportedTrafficType',
      `attempting to bind to traffic type "service" which the waypoint "${key}" does not support`,
    );
  return {
    ...out,
    weighted: [
      { waypoint: primary, weight: 100 - weight },
      { waypoint: canary, weight },
    ],
  };
}

/**
 * What a bound object's WaypointBound message adds about ingress and a canary
 * that is not used; the object stays bound to its primary (service.go:
 * ServiceInfo.GetConditions).
 */
export function extrasMessage(x: WaypointExtras | undefined): string {
  if (!x) return '';
  let m = '';
  if (x.ingressUseWaypoint) m += '. Ingress traffic will traverse the waypoint';
  else if (x.ingressLabelPresent)
    m += `. Ingress traffic is not using the waypoint, set the ${INGRESS_USE_WAYPOINT} label to true if desired.`;
  if (x.canaryError) m += `. Canary waypoint not attached: ${x.canaryError.message}`;
  return m;
}
