import {
  AMBIENT,
  ANNOTATION,
  get,
  LABEL,
  NONE,
  type KubeObject,
  type Namespace,
  type Pod,
  type World,
  type WorkloadEntry,
} from '../model';

/**
 * Ambient enrollment: the pod's own `istio.io/dataplane-mode` wins (`none`
 * opts out), then istiod's redirection annotation, then the namespace label.
 */
export function isEnrolled(pod: Pod | WorkloadEntry, world: World): boolean {
  return isEnrolledIn(pod, get(world, 'Namespace', undefined, pod.metadata.namespace ?? 'default'));
}

/** isEnrolled, given the workload's Namespace (read by the caller, which records that it did). */
export function isEnrolledIn(pod: Pod | WorkloadEntry, ns: Namespace | undefined): boolean {
  const own = pod.metadata.labels?.[LABEL.dataplaneMode];
  if (own === NONE) return false;
  if (own === AMBIENT) return true;
  if (pod.metadata.annotations?.[ANNOTATION.redirection] === ANNOTATION_ENABLED) return true;
  return ns?.metadata.labels?.[LABEL.dataplaneMode] === AMBIENT;
}

const ANNOTATION_ENABLED = 'enabled';

/** Waypoint pods implement a Gateway; they never get a waypoint themselves. */
export function isWaypointPod(o: KubeObject): boolean {
  return o.metadata.labels?.[LABEL.gatewayName] !== undefined;
}
