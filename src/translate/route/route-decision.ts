// What a mesh route decides about its backends, once per World. The route's
// status renders it (ResolvedRefs) and each waypoint that serves the route's
// parent builds its clusters from the very same value: as istiod's
// conversion.go: buildDestination returns the destination together with the
// ConfigError the status reports, and Envoy Gateway's gatewayapi translator
// sets a route's conditions in the pass that builds its IR. A status and the
// configuration a proxy gets cannot disagree about a backend.
import { isCoreServiceRef } from '../../model/refs';
import {
  readObject,
  recorded,
  type BackendRef,
  type NamespacedObject,
  type Service,
  type ServicePort,
  type World,
} from '../../model';
import { PerWorld, type Reads } from '../reads';
import { checkHostnameRef, isHostnameRef, type HostnameChecked } from './hostname-backends';
import type { AnyRoute } from './route-attach';
import { backendRefGroup, backendRefKind } from '../../model/defaults';

export type Checked =
  { ok: true; service: Service; port: ServicePort } | { ok: false; reason: string; message: string; service?: Service };

/**
 * The checks Gateway API's ResolvedRefs condition reports: kind, existence,
 * port. A mesh route (its parent a Service or ServiceEntry, the only routes
 * a waypoint applies) needs no ReferenceGrant to reach a Service in another
 * namespace (conversion.go: buildDestination, `enforceRefGrant = !mesh`).
 */
function checkBackendRef(world: World, route: NamespacedObject, ref: BackendRef, reads: Reads): Checked {
  const group = backendRefGroup(ref);
  const kind = backendRefKind(ref);
  if (!isCoreServiceRef(group, kind)) {
    return { ok: false, reason: 'InvalidKind', message: `backendRef ${group}/${kind} ${ref.name} is not a Service` };
  }
  const ns = ref.namespace ?? route.metadata.namespace;
  const svc = readObject(recorded(world, reads), 'Service', ns, ref.name);
  if (!svc) return { ok: false, reason: 'BackendNotFound', message: `Service ${ns}/${ref.name} not found` };
  // Gateway API's CRD refuses a Service backendRef without a port; istiod's words if one comes through.
  if (ref.port === undefined)
    return { ok: false, reason: 'InvalidDestination', message: 'port is required in backendRef' };
  const port = (svc.spec?.ports ?? []).find((p) => p.port === ref.port);
  if (!port)
    return {
      ok: false,
      reason: 'BackendNotFound',
      message: `Service ${ns}/${ref.name} has no port ${ref.port}`,
      service: svc,
    };
  return { ok: true, service: svc, port };
}

/** Filter types the route translation applies (http-routes.ts: applyFilters); others make the rule answer 500. */
const SUPPORTED_FILTERS = new Set([
  'RequestHeaderModifier',
  'ResponseHeaderModifier',
  'RequestRedirect',
  'URLRewrite',
  'RequestMirror',
  'CORS',
]);

export type BackendCheck = Checked | HostnameChecked;

export interface RouteBackends {
  /** Every backendRef of the route's rules and of their mirror filters, checked, by identity. */
  readonly checked: ReadonlyMap<BackendRef, BackendCheck>;
  /**
   * What ResolvedRefs reports, in rule order: each rule's failed backends,
   * then the filters it cannot honour. An unusable mirror is left out of the
   * rule (http-routes.ts), and not reported.
   */
  readonly problems: readonly { reason: string; message: string }[];
}

type Rule = { backendRefs?: BackendRef[]; filters?: { type: string; requestMirror?: { backendRef: BackendRef } }[] };

function check(from: { world: World; reads: Reads }, route: AnyRoute, ref: BackendRef): BackendCheck {
  return isHostnameRef(ref)
    ? checkHostnameRef(from.world, route, ref, from.reads)
    : checkBackendRef(from.world, route, ref, from.reads);
}

function decideBackends(from: { world: World; reads: Reads }, route: AnyRoute): RouteBackends {
  const checked = new Map<BackendRef, BackendCheck>();
  const problems: { reason: string; message: string }[] = [];
  for (const rule of (route.spec?.rules ?? []) as readonly Rule[]) {
    for (const ref of rule.backendRefs ?? []) {
      const c = check(from, route, ref);
      checked.set(ref, c);
      if (!c.ok) problems.push({ reason: c.reason, message: c.message });
    }
    for (const f of rule.filters ?? []) {
      const mirror = f.type === 'RequestMirror' ? f.requestMirror?.backendRef : undefined;
      if (mirror) checked.set(mirror, check(from, route, mirror));
      if (!SUPPORTED_FILTERS.has(f.type))
        problems.push({
          reason: 'UnsupportedValue',
          message: `${f.type} filters are not supported; the rule answers 500`,
        });
    }
  }
  return { checked, problems };
}

const BACKENDS = new PerWorld(decideBackends);

/** The route's backend decisions for `ctx.world`, recorded in `ctx.reads` (computed by the first reader). */
export function routeBackends(ctx: { world: World; reads?: Reads | undefined }, route: AnyRoute): RouteBackends {
  return BACKENDS.get(ctx, route);
}

/** How `route` decided `ref`, one of its backendRefs (or a mirror's). */
export function backendCheck(ctx: { world: World; reads: Reads }, route: AnyRoute, ref: BackendRef): BackendCheck {
  const c = routeBackends(ctx, route).checked.get(ref);
  if (!c)
    throw new Error(
      `${route.kind} ${route.metadata.namespace}/${route.metadata.name}: backendRef ${ref.name} is not one of its own`,
    );
  return c;
}
