// Route backends of kind `Hostname` (group networking.istio.io): a host a
// ServiceEntry declares, as the egress waypoint guide routes to it
// (conversion.go: buildDestination, the ServiceEntry `Hostname` case).
import { waypointKey } from '../../ambient';
import type { BackendRef, NamespacedObject, ServiceEntry, World } from '../../model';
import type { WaypointContext } from '../context';
import type { Reads } from '../reads';
import { entriesDeclaring } from '../service-entry-hosts';
import { inboundVip, outbound, UNKNOWN_SERVICE } from '../names';
import { chainKind } from '../services';
import { serviceEntryProtocol } from '../waypoint/service-entries';
import { servedEntryOutbound, serviceEntryOutbound } from '../waypoint/outbound-service-entry';
import type { OutboundClusterIR } from '../ir';

const GROUP = 'networking.istio.io';

export function isHostnameRef(ref: BackendRef): boolean {
  return ref.group === GROUP && ref.kind === 'Hostname';
}

export type HostnameChecked =
  { ok: true; entry?: ServiceEntry } | { ok: false; reason: string; message: string; invalid?: boolean };

/**
 * The entry declaring a host, as istiod's LookupHostname finds it from the
 * route's namespace: one in that namespace first, else any (oldest, then by
 * namespace and name, for a stable choice). The entries are the host's
 * alone (service-entry-hosts.ts), and the read recorded is the host's.
 */
function entryForHost(world: World, host: string, fromNs: string, reads?: Reads): ServiceEntry | undefined {
  // One string per entry, compared whole: keys are unique (namespace/name), so the least is the choice.
  // NUL separators sort an entry with no creation time (a manifest file's) before every dated one:
  // istiod orders services by CreationTime (push_context.go: SortServicesByCreationTime), and
  // Go's zero time is before every other.
  const k = (s: ServiceEntry) =>
    `${s.metadata.namespace === fromNs ? 0 : 1}\u0000${s.metadata.creationTimestamp ?? ''}\u0000${s.metadata.namespace}/${s.metadata.name}`;
  let best: { se: ServiceEntry; key: string } | undefined;
  for (const se of entriesDeclaring(world, host, reads)) {
    const key = k(se);
    if (!best || key < best.key) best = { se, key };
  }
  return best?.se;
}

/**
 * conversion.go: buildDestination — a Hostname may not carry a namespace and
 * must name a port (InvalidDestination, with istiod's messages); a host no
 * ServiceEntry declares is reported BackendNotFound. istiod fails the whole
 * route on the first two; here only the backend's share does, answered 500,
 * as an unsupported filter fails only its rule (docs/parity.md).
 */
export function checkHostnameRef(
  world: World,
  route: NamespacedObject,
  ref: BackendRef,
  reads?: Reads,
): HostnameChecked {
  if (ref.namespace !== undefined)
    return {
      ok: false,
      reason: 'InvalidDestination',
      message: 'namespace may not be set with Hostname type',
      invalid: true,
    };
  if (ref.port === undefined)
    return { ok: false, reason: 'InvalidDestination', message: 'port is required in backendRef', invalid: true };
  const entry = entryForHost(world, ref.name, route.metadata.namespace, reads);
  if (!entry) return { ok: false, reason: 'BackendNotFound', message: `backend(${ref.name}) not found` };
  return { ok: true, entry };
}

/**
 * listener_waypoint.go: getWaypointDestinationCluster / portToSubset — the
 * waypoint's own inbound-vip cluster when it serves the host (TCP and TLS
 * ports take the tcp one), else outbound|port||host. A host nobody declares
 * still names inbound-vip|port|http|host, so its share answers 500.
 * `checked` is the route's decision on `ref` (route-decision.ts).
 */
export function hostnameCluster(
  ctx: WaypointContext,
  ref: BackendRef,
  checked: HostnameChecked,
): { ok: boolean; reason?: string; message?: string; cluster: string; outbound?: OutboundClusterIR } {
  if (!checked.ok && checked.invalid) return { ...checked, cluster: UNKNOWN_SERVICE };
  const entry = checked.ok ? checked.entry : undefined;
  // Set: a backendRef without a port is invalid (checkHostnameRef).
  const portNumber = ref.port as number;
  const port = entry?.spec?.ports?.find((p) => p.number === portNumber);
  const flavor = port && chainKind(serviceEntryProtocol(port)) === 'tcp' ? 'tcp' : 'http';
  if (!entry) return { ...checked, ok: false, cluster: inboundVip(portNumber, 'http', ref.name) };
  const ns = entry.metadata.namespace;
  ctx.reads.object('ServiceEntry', ns, entry.metadata.name);
  const owner = ctx.index.waypointFor(`ServiceEntry/${ns}/${entry.metadata.name}`);
  if (owner !== undefined && waypointKey(owner) === ctx.waypoint.key) {
    const unused = servedEntryOutbound(ctx, entry, ref.name, port);
    const cluster = inboundVip(portNumber, flavor, ref.name);
    return unused ? { ok: true, cluster, outbound: unused } : { ok: true, cluster };
  }
  const cluster = outbound(portNumber, ref.name);
  const o = port && serviceEntryOutbound(ctx, entry, ref.name, port);
  return o ? { ok: true, cluster, outbound: o } : { ok: true, cluster };
}
