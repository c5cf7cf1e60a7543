import { isCoreServiceRef } from '../../model/refs';
import { type NamespacedObject, type PolicyTargetReference, type Targeting } from '../../model';
import type { TranslateOptions, WaypointContext } from '../context';

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
const ISTIO_GROUP = 'networking.istio.io';

/**
 * What one targetRef of a policy names, decided once for everyone who reads
 * it: the waypoint attaches the policy by it (attachmentsOn) and the policy's
 * WaypointAccepted condition reports it (status/statuses.ts). Waypoints honour
 * targetRefs only (selector policies belong to ztunnel): a Service or
 * ServiceEntry in the policy's namespace (policies.go: a ServiceEntry target
 * applies to the entry's hosts on its waypoint), a Gateway, or the waypoint
 * GatewayClass from the root namespace.
 */
export type TargetDecision =
  | { kind: 'Service' | 'ServiceEntry' | 'Gateway'; namespace: string; name: string }
  | { kind: 'GatewayClass'; name: string }
  | { kind: 'refused'; reason: 'TargetNotFound' | 'Invalid'; message: string };

export function targetDecision(
  opts: Pick<TranslateOptions, 'gatewayClass' | 'rootNamespace'>,
  policyNamespace: string,
  t: PolicyTargetReference,
): TargetDecision {
  const group = t.group ?? '';
  const named = { namespace: policyNamespace, name: t.name };
  if (isCoreServiceRef(group, t.kind)) return { kind: 'Service', ...named };
  if (t.kind === 'ServiceEntry' && group === ISTIO_GROUP) return { kind: 'ServiceEntry', ...named };
  if (t.kind === 'Gateway' && group === GATEWAY_GROUP) return { kind: 'Gateway', ...named };
  if (t.kind === 'GatewayClass' && group === GATEWAY_GROUP) {
    if (t.name !== opts.gatewayClass)
      return {
        kind: 'refused',
        reason: 'TargetNotFound',
        message: `GatewayClass ${t.name} is not ${opts.gatewayClass}`,
      };
    if (policyNamespace !== opts.rootNamespace)
      return {
        kind: 'refused',
        reason: 'Invalid',
        message: `GatewayClass targets are honoured only in the root namespace ${opts.rootNamespace}`,
      };
    return { kind: 'GatewayClass', name: t.name };
  }
  return { kind: 'refused', reason: 'Invalid', message: `unsupported targetRef ${group}/${t.kind} ${t.name}` };
}

/** Where a policy attaches on this waypoint, by its targets' decisions (targetDecision). */
export function attachmentsOn(ctx: WaypointContext, policy: NamespacedObject & { spec?: Targeting }): Attachment[] {
  const out: Attachment[] = [];
  for (const t of targetRefsOf(policy.spec)) {
    const d = targetDecision(ctx.opts, policy.metadata.namespace, t);
    if (d.kind === 'Service') out.push({ scope: 'service', namespace: d.namespace, name: d.name });
    else if (d.kind === 'ServiceEntry')
      out.push({ scope: 'service', namespace: d.namespace, name: d.name, kind: 'ServiceEntry' });
    else if (d.kind === 'GatewayClass') out.push({ scope: 'waypoint' });
    else if (d.kind === 'Gateway' && d.namespace === ctx.waypoint.namespace && d.name === ctx.waypoint.name)
      out.push({ scope: 'waypoint' });
  }
  return out;
}

/** Namespaces whose policies can attach to this waypoint's chains. */
export function policyNamespaces(ctx: WaypointContext, serviceNamespaces: Iterable<string>): string[] {
  return [...new Set([ctx.waypoint.namespace, ctx.opts.rootNamespace, ...serviceNamespaces])].sort();
}
