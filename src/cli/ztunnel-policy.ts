import { decodeMessage, type OutputTypeMap } from '../envoy';
import { list, type World } from '../model';
import { DEFAULT_OPTIONS } from '../translate/context';
import { authorizationMsg } from '../translate/workload-api/ztunnel-authz';

type Authorization = OutputTypeMap['istio.security.Authorization'];

/** Enum names as ztunnel writes them in its config dump (ALLOW -> Allow, WORKLOAD_SELECTOR -> WorkloadSelector). */
function pascal(v: unknown): string {
  const t = String(v);
  if (!/^[A-Z0-9_]+$/.test(t)) return t;
  return t
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** istioctl writer/ztunnel/configdump/policies.go: PrintPolicySummary's columns. */
export const POLICY_HEADER = ['NAMESPACE', 'POLICY NAME', 'ACTION', 'SCOPE'];

interface PolicyLike {
  namespace?: string | null;
  name?: string | null;
  action?: unknown;
  scope?: unknown;
}

/** Rows sorted by namespace then name, as PrintPolicySummary sorts them. */
function rowsOf(policies: readonly PolicyLike[], ns?: string): string[][] {
  return policies
    .map((p) => [p.namespace ?? '', p.name ?? '', pascal(p.action ?? 'ALLOW'), pascal(p.scope ?? 'NAMESPACE')])
    .filter((r) => !ns || r[0] === ns)
    .sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!));
}

/** Policies as this control plane sends them to ztunnel (authorizationMsg), from the loaded world. */
export function policyRowsFromWorld(world: World, ns?: string): string[][] {
  const msgs = list(world, 'AuthorizationPolicy').flatMap(
    (p) => authorizationMsg(p, DEFAULT_OPTIONS.rootNamespace) ?? [],
  );
  return rowsOf(msgs, ns);
}

/** Policies as ztunnel received them over xDS (istio.security.Authorization). */
export function policyRowsFromXds(bodies: Buffer[], ns?: string): string[][] {
  return rowsOf(
    bodies.map((b) => decodeMessage('istio.security.Authorization', b) as Authorization),
    ns,
  );
}

/** Policies from a ztunnel config dump's "policies" list (already in ztunnel's words). */
export function policyRowsFromDump(policies: readonly PolicyLike[] | undefined, ns?: string): string[][] {
  return rowsOf(policies ?? [], ns);
}

/** A policy row as values for -o json/yaml. */
export function policyValue(r: string[]) {
  return { namespace: r[0], name: r[1], action: r[2], scope: r[3] };
}
