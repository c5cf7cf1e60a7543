import { readNamespace, type Service, type VirtualService } from '../../model';
import type { WaypointContext } from '../context';
import { resolveShortname } from './vs-destination';
import { defaultVirtualServiceExportTo } from './vs-export';
import { hostnameOf } from '../services';

// Which VirtualServices a waypoint applies to one of its services, and in
// which order relative to each other and to the Gateway API routes of the
// same service. istiod turns a service's mesh HTTPRoutes into one
// VirtualService (route_collections.go: mergeHTTPRoutes) and lists it with
// the real ones: the waypoint's scope keeps those exported to its namespace,
// bucket by bucket (exportTo the waypoint's own namespace, then exported to
// it by name, then public), and within each bucket Gateway API routes in the
// waypoint's namespace first, then everything by creation time, name and
// namespace (virtualservice.go: SelectVirtualServices with
// PILOT_UNIFIED_SIDECAR_SCOPE; virtualservice_controller.go:
// sortMergedVirtualServicesByCreationTime). Of those, the waypoint uses the
// ones in its own or the service's namespace whose hosts match the service
// (listener_waypoint.go: getVirtualServiceForWaypoint), in that order.

/** One entry of the ordered list: a VirtualService, or Gateway API routes as istiod's VirtualService for them. */
export type RouteSource<G> = { kind: 'vs'; vs: VirtualService } | { kind: 'gateway'; block: G };

interface Ranked<G> {
  source: RouteSource<G>;
  bucket: number;
  gatewayHere: boolean;
  created: string;
  name: string;
  namespace: string;
}

/** istio host.Name.Matches: equal, or one a `*` wildcard that covers the other. */
export function hostsMatch(a: string, b: string): boolean {
  if (a === b || a === '*' || b === '*') return true;
  const wa = a.startsWith('*');
  const wb = b.startsWith('*');
  if (wa && wb) return a.length > b.length ? a.endsWith(b.slice(1)) : b.endsWith(a.slice(1));
  if (wa) return b.endsWith(a.slice(1));
  if (wb) return a.endsWith(b.slice(1));
  return false;
}

/**
 * The exportTo bucket a VirtualService falls in for a proxy in `ns`, or
 * undefined when it is not visible there (push_context.go: initVirtualServices).
 * No exportTo means the mesh config's default (vs-export.ts).
 */
export function exportBucket(
  vs: Pick<VirtualService, 'metadata' | 'spec'>,
  ns: string,
  defaults: readonly string[] = ['*'],
): number | undefined {
  const own = vs.metadata.namespace;
  const written = vs.spec?.exportTo ?? [];
  const to = (written.length > 0 ? written : defaults).map((e) => (e === '.' ? own : e));
  if (to.includes('*')) return 2;
  if (to.includes('~')) return undefined;
  if (!to.includes(ns)) return undefined;
  return ns === own ? 0 : 1;
}

/** Whether a VirtualService is bound to the mesh (no gateways, or `mesh` among them). */
export function forMesh(vs: VirtualService): boolean {
  const g = vs.spec?.gateways ?? [];
  return g.length === 0 || g.includes('mesh');
}

/** The VirtualServices in the namespaces a waypoint reads that name `svc`, unordered. */
export function candidateVirtualServices(ctx: WaypointContext, svc: Service): VirtualService[] {
  const host = hostnameOf(svc, ctx.opts.domain);
  const namespaces = [...new Set([svc.metadata.namespace, ctx.waypoint.namespace])];
  const out: VirtualService[] = [];
  let defaults: readonly string[] | undefined;
  for (const ns of namespaces) {
    for (const vs of readNamespace(ctx, 'VirtualService', ns)) {
      defaults ??= defaultVirtualServiceExportTo(ctx.world, ctx.opts.rootNamespace, ctx.reads);
      if (!forMesh(vs) || exportBucket(vs, ctx.waypoint.namespace, defaults) === undefined) continue;
      if ((vs.spec?.hosts ?? []).some((h) => hostsMatch(resolveShortname(h, vs, ctx.opts.domain), host))) out.push(vs);
    }
  }
  return out;
}

/** Gateway API routes as istiod's VirtualService for them: its namespace, creation time and name. */
export interface GatewayBlock<G> {
  value: G;
  namespace: string;
  created: string;
  name: string;
}

/** The VirtualServices and the Gateway API blocks in istiod's order. */
export function orderedSources<G>(
  ctx: WaypointContext,
  vss: readonly VirtualService[],
  blocks: readonly GatewayBlock<G>[],
): RouteSource<G>[] {
  const wpNs = ctx.waypoint.namespace;
  const defaults = defaultVirtualServiceExportTo(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const ranked: Ranked<G>[] = vss.map((vs) => ({
    source: { kind: 'vs', vs },
    bucket: exportBucket(vs, wpNs, defaults) ?? 2,
    gatewayHere: false,
    created: vs.metadata.creationTimestamp ?? '',
    name: vs.metadata.name,
    namespace: vs.metadata.namespace,
  }));
  // Generated VirtualServices carry no exportTo: the mesh default's bucket.
  // Deliberate difference: one the default hides is still applied.
  for (const b of blocks) {
    const bucket = exportBucket({ metadata: { name: b.name, namespace: b.namespace }, spec: {} }, wpNs, defaults);
    ranked.push({
      source: { kind: 'gateway', block: b.value },
      bucket: bucket ?? 2,
      gatewayHere: b.namespace === wpNs,
      created: b.created,
      name: b.name,
      namespace: b.namespace,
    });
  }
  ranked.sort(
    (a, b) =>
      a.bucket - b.bucket ||
      Number(b.gatewayHere) - Number(a.gatewayHere) ||
      cmp(a.created, b.created) ||
      cmp(a.name, b.name) ||
      cmp(a.namespace, b.namespace),
  );
  return ranked.map((r) => r.source);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
