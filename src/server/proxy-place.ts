import {
  get,
  inNamespace,
  LABEL,
  list,
  MESH_CONFIGMAP,
  parseKey,
  ROOT_NAMESPACE,
  unrecorded,
  type Pod,
  type TrafficPolicy,
  type World,
} from '../model';
import { meshLocalityLb } from '../translate/mesh-config';
import { podLocality } from '../translate/locality';
import { fullLocality, placeKey, placeOf } from '../translate/place-key';
import type { ProxyInfo } from '../xds';

const running = (p: Pod) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** The waypoint's running pods (gateway-name label). */
function waypointPods(world: World, namespace: string, name: string): Pod[] {
  return inNamespace(world, 'Pod', namespace).filter(
    (p) => p.metadata.labels?.[LABEL.gatewayName] === name && running(p),
  );
}

/** label.go: AugmentLabels sets the node's name under this label (locality-lb.ts: augmented). */
const HOSTNAME = 'kubernetes.io/hostname';
/** Labels a locality or the cluster already decides: never a reason to split a locality's proxies. */
const PLACED = new Set([
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.istio.io/subzone',
  'topology.istio.io/cluster',
]);

function addLabels(names: unknown, out: Set<string>): void {
  if (!Array.isArray(names)) return;
  // A `label=value` entry compares endpoints with the value given, not with the proxy's.
  for (const n of names) if (typeof n === 'string' && !n.includes('=') && !PLACED.has(n)) out.add(n);
}

function policyLabels(p: TrafficPolicy | undefined, out: Set<string>): void {
  addLabels(p?.loadBalancer?.localityLbSetting?.failoverPriority, out);
  for (const pl of p?.portLevelSettings ?? []) addLabels(pl.loadBalancer?.localityLbSetting?.failoverPriority, out);
}

/** Per World, per root namespace (one in practice). */
const labelsByWorld = new WeakMap<World, Map<string, ReadonlySet<string>>>();

/**
 * The labels some failoverPriority ranks endpoints by with the proxy's own
 * value (loadbalancer.go: applyFailoverPriorityPerLocality reads them from
 * the proxy's labels): every DestinationRule's, and the mesh config's
 * `localityLbSetting`, which a cluster without a rule's setting takes
 * (loadbalancer.go: GetEffectiveLbSetting). Every rule's, not only those of
 * hosts a waypoint reaches: a needless split costs a translation, never a
 * wrong ranking. Worked out once per World.
 */
export function failoverLabels(world: World, rootNamespace: string = ROOT_NAMESPACE): ReadonlySet<string> {
  let byRoot = labelsByWorld.get(world);
  if (!byRoot) labelsByWorld.set(world, (byRoot = new Map()));
  let out = byRoot.get(rootNamespace);
  if (!out) {
    const names = new Set<string>();
    for (const dr of list(world, 'DestinationRule')) {
      policyLabels(dr.spec?.trafficPolicy, names);
      for (const s of dr.spec?.subsets ?? []) policyLabels(s.trafficPolicy, names);
    }
    const mesh = meshLocalityLb(world, rootNamespace).setting;
    if (mesh?.enabled !== false) addLabels(mesh?.failoverPriority, names);
    byRoot.set(rootNamespace, (out = names));
  }
  return out;
}

/** A pod's value of a label as endpoints are ranked against it (the node's name for the hostname label). */
function podValue(p: Pod, label: string): string {
  if (label === HOSTNAME && p.spec?.nodeName) return p.spec.nodeName;
  return p.metadata.labels?.[label] ?? '';
}

/**
 * The places of a waypoint's pods: each pod's locality and the values of the
 * failoverPriority labels whose value differs between the pods (labels they
 * all share tell no proxy apart, so they stay out of the key).
 */
function placesOf(
  world: World,
  pods: readonly Pod[],
  rootNamespace: string,
): { varying: string[]; places: Map<Pod, string> } {
  const varying = [...failoverLabels(world, rootNamespace)]
    .filter((l) => new Set(pods.map((p) => podValue(p, l))).size > 1)
    .sort();
  const places = new Map<Pod, string>();
  for (const p of pods)
    places.set(
      p,
      placeOf(
        fullLocality(podLocality(p, unrecorded(world))),
        Object.fromEntries(varying.map((l) => [l, podValue(p, l)])),
      ),
    );
  return { varying, places };
}

/**
 * The places of waypoint `key` that get translations of their own: none
 * while its pods share one place (place-key.ts), else each pod's, sorted.
 */
export function waypointPlaces(world: World, key: string, rootNamespace: string = ROOT_NAMESPACE): string[] {
  const slash = key.indexOf('/');
  const { places } = placesOf(world, waypointPods(world, key.slice(0, slash), key.slice(slash + 1)), rootNamespace);
  const distinct = new Set(places.values());
  return distinct.size < 2 ? [] : [...distinct].sort();
}

/**
 * A proxy's locality as istiod takes it (pilot/pkg/xds/ads.go:
 * setTopologyLabels, localityFromProxyLabels): its pod's (labels or node
 * topology, as endpoints are placed), else the locality its xDS node
 * announces. Empty when neither says.
 */
export function proxyLocality(p: ProxyInfo, world: World): string {
  const pod = p.podName ? get(world, 'Pod', p.namespace, p.podName) : undefined;
  const own = podLocality(pod, unrecorded(world));
  if (own) return fullLocality(own);
  const l = p.raw.locality;
  if (!l || !(l.region || l.zone || l.sub_zone)) return '';
  return `${l.region ?? ''}/${l.zone ?? ''}/${l.sub_zone ?? ''}`;
}

/**
 * The key a proxy of waypoint `key` is served under: the waypoint key while
 * the waypoint's pods share one place (one translation for all, as before),
 * else the place key of the proxy's own place — its locality and its values
 * of the failoverPriority labels that tell the pods apart — so its endpoints
 * are ranked from where it runs and by its own labels
 * (endpoint_builder.go: BuildClusterLoadAssignment;
 * loadbalancer.go: applyFailoverPriorities). A proxy whose pod is unknown
 * is placed by its xDS node's locality and `LABELS`; one of unknown locality
 * keeps the waypoint key when only localities tell the pods apart:
 * endpoints keep priority 0 there.
 */
export function placedKey(
  p: ProxyInfo,
  key: string,
  world: World | undefined,
  rootNamespace: string = ROOT_NAMESPACE,
): string {
  if (!world) return key;
  const slash = key.indexOf('/');
  const pods = waypointPods(world, key.slice(0, slash), key.slice(slash + 1));
  const { varying, places } = placesOf(world, pods, rootNamespace);
  if (new Set(places.values()).size < 2) return key;
  const own = pods.find((x) => x.metadata.name === p.podName && x.metadata.namespace === p.namespace);
  const labels = Object.fromEntries(varying.map((l) => [l, own ? podValue(own, l) : (p.labels[l] ?? '')]));
  const locality = proxyLocality(p, world);
  if ((!locality || locality === '//') && varying.length === 0) return key;
  return placeKey(key, placeOf(locality || '//', labels));
}

/**
 * Whether a change may move a proxy to another key: a waypoint pod came,
 * went or was relabelled, a Node (whose topology places pods) changed, or
 * the labels failoverPriority names (DestinationRules', the mesh config's)
 * changed. Other changes leave every proxy's key as it is, so they cost no
 * look at the connected proxies.
 */
export function mayMovePlaces(
  changed: ReadonlySet<string>,
  before: World,
  after: World,
  rootNamespace: string = ROOT_NAMESPACE,
): boolean {
  let rules = false;
  for (const k of changed) {
    const { kind, namespace, name } = parseKey(k);
    if (kind === 'Node') return true;
    if (kind === 'DestinationRule') rules = true;
    if (kind === 'ConfigMap' && namespace === rootNamespace && name === MESH_CONFIGMAP) rules = true;
    if (kind !== 'Pod' || namespace === undefined) continue;
    const gw = (w: World) => get(w, 'Pod', namespace, name)?.metadata.labels?.[LABEL.gatewayName];
    if (gw(before) !== undefined || gw(after) !== undefined) return true;
  }
  if (!rules) return false;
  const a = failoverLabels(before, rootNamespace);
  const b = failoverLabels(after, rootNamespace);
  return a.size !== b.size || [...a].some((l) => !b.has(l));
}
