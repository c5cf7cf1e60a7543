import { isCoreServiceRef } from '../../model/refs';
import { type NamespacedObject, type PolicyTargetReference, type Targeting } from '../../model';
import type { WaypointContext } from '../context';

export type Attachment =
  { scope: 'waypoint' } | { scope: 'service'; namespace: string; name: string; kind?: 'ServiceEntry' };

/** The key per-service policies are kept under: `ns/name`, or `ServiceEntry/ns/name` for an entry. */
export function attachmentKey(a: { namespace: string; name: string; kind?: 'ServiceEntry' }): string {
  return a.kind === 'ServiceEntry' ? `ServiceEntry/${a.namespace}/${a.name}` : `${a.namespace}/${a.name}`;
}

export function targetRefsOf(spec: Targeting | undefined): PolicyTargetReference[] {
  return [...(spec?.targetRefs ?? []), ...(spec?.targetRef ? [spec.targetRef] : [])];
}

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

/**
 * Where a policy attaches on this waypoint. Waypoints honour targetRefs only
 * (selector policies belong to ztunnel): a Service or ServiceEntry in the policy's namespace,
 * the waypoint Gateway itself, or the istio-waypoint GatewayClass from the
 * root namespace.
 */
export function attachmentsOn(ctx: WaypointContext, policy: NamespacedObject & { spec?: Targeting }): Attachment[] {
  const ns = policy.metadata.namespace;
  const out: Attachment[] = [];
  for (const t of targetRefsOf(policy.spec)) {
    const group = t.group ?? '';
    if (isCoreServiceRef(group, t.kind)) {
      out.push({ scope: 'service', namespace: ns, name: t.name });
    } else if (t.kind === 'ServiceEntry' && group === 'networking.istio.io') {
      // policies.go: a ServiceEntry target applies to the entry's hosts on its waypoint.
      out.push({ scope: 'service', namespace: ns, name: t.name, kind: 'ServiceEntry' });
    } else if (
      t.kind === 'Gateway' &&
      group === GATEWAY_GROUP &&
      ns === ctx.waypoint.namespace &&
      t.name === ctx.waypoint.name
    ) {
      out.push({ scope: 'waypoint' });
    } else if (
      t.kind === 'GatewayClass' &&
      group === GATEWAY_GROUP &&
      t.name === ctx.opts.gatewayClass &&
      ns === ctx.opts.rootNamespace
    ) {
      out.push({ scope: 'waypoint' });
    }
  }
  return out;
}

/** Namespaces whose policies can attach to this waypoint's chains. */
export function policyNamespaces(ctx: WaypointContext, serviceNamespaces: Iterable<string>): string[] {
  return [...new Set([ctx.waypoint.namespace, ctx.opts.rootNamespace, ...serviceNamespaces])].sort();
}
