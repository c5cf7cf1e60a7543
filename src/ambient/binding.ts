import { BIND_REASON, get, LABEL, matchesSelector, NONE, type KubeObject, type World } from '../model';
import { waypointKey, type Waypoint, type WaypointRef } from './waypoints';

export interface BindReason {
  reason: string;
  message: string;
}

/** Which waypoint serves an object, or why none does: a value, not a log line. */
export type Binding =
  { kind: 'bound'; waypoint: WaypointRef; source: 'object' | 'namespace' } | { kind: 'unbound'; reason?: BindReason };

export type Subject = 'service' | 'workload';

const UNBOUND: Binding = { kind: 'unbound' };

/**
 * Applies the binding rules: the object's own use-waypoint label beats its
 * namespace's; `none` opts out; a named waypoint that is missing or not ready
 * gives WaypointIsNotReady with no fallback; the waypoint must admit the
 * namespace and handle the subject's traffic type.
 */
export function bind(o: KubeObject, subject: Subject, world: World, waypoints: ReadonlyMap<string, Waypoint>): Binding {
  const ns = o.metadata.namespace ?? 'default';
  const nsObj = get(world, 'Namespace', undefined, ns);
  const own = o.metadata.labels ?? {};
  const nsLabels = nsObj?.metadata.labels ?? {};
  let source: 'object' | 'namespace';
  let name: string;
  let wpNs: string;
  if (own[LABEL.useWaypoint] !== undefined) {
    source = 'object';
    name = own[LABEL.useWaypoint] ?? '';
    wpNs = own[LABEL.useWaypointNamespace] ?? ns;
  } else if (nsLabels[LABEL.useWaypoint] !== undefined) {
    source = 'namespace';
    name = nsLabels[LABEL.useWaypoint] ?? '';
    wpNs = nsLabels[LABEL.useWaypointNamespace] ?? ns;
  } else {
    return UNBOUND;
  }
  if (name === NONE || name === '') return UNBOUND;
  const ref = { namespace: wpNs, name };
  const wp = waypoints.get(waypointKey(ref));
  if (!wp || !wp.ready) {
    return {
      kind: 'unbound',
      reason: {
        reason: BIND_REASON.notReady,
        message: wp ? `waypoint ${wpNs}/${name} is not ready` : `waypoint ${wpNs}/${name} not found`,
      },
    };
  }
  if (!admits(wp, ns, nsLabels)) {
    return {
      kind: 'unbound',
      reason: {
        reason: BIND_REASON.attachmentDenied,
        message: `waypoint ${wpNs}/${name} does not allow attachment from namespace ${ns}`,
      },
    };
  }
  const wanted = subject;
  if (wp.trafficType !== 'all' && wp.trafficType !== wanted) {
    // A namespace-wide label that names a waypoint of the other traffic type
    // is normal for pods (the waypoint is for services): silently no waypoint.
    if (subject === 'workload' && source === 'namespace') return UNBOUND;
    return {
      kind: 'unbound',
      reason: {
        reason: BIND_REASON.unsupportedTrafficType,
        message: `waypoint ${wpNs}/${name} accepts ${wp.trafficType} traffic, not ${wanted} traffic`,
      },
    };
  }
  return { kind: 'bound', waypoint: ref, source };
}

/** Whether the waypoint accepts attachments from namespace `ns` (its allowedRoutes). */
export function admits(wp: Waypoint, ns: string, nsLabels: Record<string, string>): boolean {
  switch (wp.allowed.from) {
    case 'All':
      return true;
    case 'Selector':
      return matchesSelector(wp.allowed.selector ?? {}, nsLabels);
    default:
      return ns === wp.namespace;
  }
}

/**
 * The status, reason and message of the istio.io/WaypointBound condition
 * (CONDITION.waypointBound) for a binding; undefined when there is nothing to
 * say because the object does not ask for a waypoint.
 */
export function boundCondition(b: Binding): { status: 'True' | 'False'; reason: string; message: string } | undefined {
  if (b.kind === 'bound') {
    return {
      status: 'True',
      reason: BIND_REASON.accepted,
      message: `Successfully attached to waypoint ${waypointKey(b.waypoint)}`,
    };
  }
  return b.reason ? { status: 'False', ...b.reason } : undefined;
}
