import { get, jwksSourceKey, readResolution, RESOLVED_JWKS_CONFIGMAP, type World } from '../model';
import type { WaypointOutput } from '../translate';
import type { JwtRuleIR } from '../translate/ir';

/**
 * The remote key sets a waypoint's translation needs that have not had a
 * first fetch settle yet (neither keys nor a failure). istiod fetches such a
 * key set synchronously while it builds the proxy's configuration
 * (pilot/pkg/model/jwks_resolver.go: GetPublicKey, on a cache miss, bounded
 * by the rule's timeout), so that proxy's push waits for it; here the
 * waypoint is held out of the cache until the fetch settles instead.
 */
export function pendingJwks(out: WaypointOutput, world: World, rootNamespace: string): string[] {
  const rules: JwtRuleIR[] = [...out.ir.direct.jwt];
  for (const svc of out.ir.services) for (const port of svc.ports) rules.push(...port.policy.jwt);
  // Rules with inline keys carry no error; only remote ones can be pending.
  const remote = rules.filter((r) => r.jwksError !== undefined);
  if (remote.length === 0) return [];
  const cm = get(world, 'ConfigMap', rootNamespace, RESOLVED_JWKS_CONFIGMAP);
  const pending = new Set<string>();
  for (const r of remote) {
    const key = jwksSourceKey(r);
    if (readResolution(cm, key) === undefined) pending.add(key);
  }
  return [...pending];
}
