import { get, readObject, type Node, type Pod, type RecordedWorld, type World } from '../model';

const REGION = 'topology.kubernetes.io/region';
const ZONE = 'topology.kubernetes.io/zone';
const SUBZONE = 'topology.istio.io/subzone';
// The beta names, still read by the Kubernetes registry when the GA ones are unset.
const REGION_BETA = 'failure-domain.beta.kubernetes.io/region';
const ZONE_BETA = 'failure-domain.beta.kubernetes.io/zone';

/** A pod's node, recorded as read so relabelling that node reaches this translation. */
function nodeOf(pod: Pod, from: RecordedWorld): Record<string, string> | undefined {
  const name = pod.spec?.nodeName;
  if (!name) return undefined;
  const node = readObject(from, 'Node', undefined, name);
  return node ? (node.metadata.labels ?? {}) : undefined;
}

/**
 * An endpoint's locality as `region/zone/subzone`, as the Kubernetes registry
 * gives it (kube/controller/controller.go: getPodLocality): the pod's
 * `topology.istio.io/locality`, else `istio-locality`, label (pkg/model/proxy.go:
 * GetLocalityLabel; `.` read as `/`, SanitizeLocalityLabel); else its node's
 * topology labels (util.go: getLabelValue, GA name before beta); else none.
 */
export function podLocality(pod: Pod | undefined, from: RecordedWorld): string | undefined {
  if (!pod) return undefined;
  const l = pod.metadata.labels ?? {};
  const raw = l['topology.istio.io/locality'] ?? l['istio-locality'] ?? '';
  if (raw !== '') return raw.includes('/') ? raw : raw.split('.').join('/');
  const n = nodeOf(pod, from);
  if (!n) return undefined;
  const region = n[REGION] || n[REGION_BETA] || '';
  const zone = n[ZONE] || n[ZONE_BETA] || '';
  const subzone = n[SUBZONE] || '';
  return region || zone || subzone ? `${region}/${zone}/${subzone}` : undefined;
}

export interface LocalityMsg {
  region: string;
  zone: string;
  subzone: string;
}

/**
 * A pod's locality for the workload API, as the ambient index builds it
 * (ambient/workloads.go: getPodLocality, nodes.go: nodeLocality): its node's GA
 * topology labels only; the pod's own labels are not consulted there. A node
 * without labels gives none, as an unknown node does.
 */
export function workloadLocality(node: Node | undefined): LocalityMsg | undefined {
  const n = node?.metadata.labels;
  if (!n) return undefined;
  const region = n[REGION] ?? '';
  const zone = n[ZONE] ?? '';
  const subzone = n[SUBZONE] ?? '';
  return region || zone || subzone ? { region, zone, subzone } : undefined;
}

/** The node a pod runs on, if it is known. */
export function podNode(pod: Pod, world: World): Node | undefined {
  const name = pod.spec?.nodeName;
  return name ? get(world, 'Node', undefined, name) : undefined;
}
