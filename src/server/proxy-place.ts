import { get, inNamespace, LABEL, parseKey, type Pod, type World } from '../model';
import { podLocality } from '../translate/locality';
import { fullLocality, placeKey } from '../translate/place-key';
import type { ProxyInfo } from '../xds';

const running = (p: Pod) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** The localities of a waypoint's running pods (gateway-name label), each `region/zone/subzone`. */
function waypointLocalities(world: World, namespace: string, name: string): Set<string> {
  const out = new Set<string>();
  for (const p of inNamespace(world, 'Pod', namespace))
    if (p.metadata.labels?.[LABEL.gatewayName] === name && running(p)) out.add(fullLocality(podLocality(p, world)));
  return out;
}

/**
 * A proxy's locality as istiod takes it (pilot/pkg/xds/ads.go:
 * setTopologyLabels, localityFromProxyLabels): its pod's (labels or node
 * topology, as endpoints are placed), else the locality its xDS node
 * announces. Empty when neither says.
 */
export function proxyLocality(p: ProxyInfo, world: World): string {
  const pod = p.podName ? get(world, 'Pod', p.namespace, p.podName) : undefined;
  const own = podLocality(pod, world);
  if (own) return fullLocality(own);
  const l = p.raw.locality;
  if (!l || !(l.region || l.zone || l.sub_zone)) return '';
  return `${l.region ?? ''}/${l.zone ?? ''}/${l.sub_zone ?? ''}`;
}

/**
 * The key a proxy of waypoint `key` is served under: the waypoint key while
 * the waypoint's pods share one locality (one translation for all, as
 * before), else the place key of the proxy's own locality, so its endpoints
 * are ranked from where it runs (endpoint_builder.go:
 * BuildClusterLoadAssignment). A proxy of unknown locality keeps the
 * waypoint key: endpoints keep priority 0 there.
 */
export function placedKey(p: ProxyInfo, key: string, world: World | undefined): string {
  if (!world) return key;
  const slash = key.indexOf('/');
  const localities = waypointLocalities(world, key.slice(0, slash), key.slice(slash + 1));
  if (localities.size < 2) return key;
  const mine = proxyLocality(p, world);
  return mine && mine !== '//' ? placeKey(key, mine) : key;
}

/**
 * Whether a change may move a proxy to another key: a waypoint pod came,
 * went or was relabelled, or a Node (whose topology places pods) changed.
 * Other changes leave every proxy's key as it is, so they cost no look at
 * the connected proxies.
 */
export function mayMovePlaces(changed: ReadonlySet<string>, before: World, after: World): boolean {
  for (const k of changed) {
    const { kind, namespace, name } = parseKey(k);
    if (kind === 'Node') return true;
    if (kind !== 'Pod' || namespace === undefined) continue;
    const gw = (w: World) => get(w, 'Pod', namespace, name)?.metadata.labels?.[LABEL.gatewayName];
    if (gw(before) !== undefined || gw(after) !== undefined) return true;
  }
  return false;
}
