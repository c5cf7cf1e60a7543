import { parseSpiffeId } from '../model/spiffe';
import { derived, get, type Pod, type World } from '../model';
import type { Identity } from '../xds/auth';

/** `namespace/serviceAccount` pairs, as CA_TRUSTED_NODE_ACCOUNTS lists them. */
export function parseTrustedAccounts(value: string): Set<string> {
  const out = new Set<string>();
  for (const part of value.split(',')) {
    const v = part.trim();
    if (!v) continue;
    const [ns, sa, extra] = v.split('/');
    if (!ns || !sa || extra !== undefined)
      throw new Error(`trusted node account "${v}" is not namespace/serviceaccount`);
    out.add(`${ns}/${sa}`);
  }
  return out;
}

/** Pods by `namespace/serviceAccount/node`: who runs where (node_auth.go: NewClusterNodeAuthorizer's saNode index). */
function saNodeIndex(pods: Pod[]): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    // istiod's pod informer leaves Failed pods out (its field selector).
    if (p.status?.phase === 'Failed') continue;
    const node = p.spec?.nodeName;
    const sa = p.spec?.serviceAccountName;
    if (node && sa) out.add(`${p.metadata.namespace}/${sa}/${node}`);
  }
  return out;
}

/**
 * Decides whether a node proxy (ztunnel) may ask for another identity's
 * certificate, as istiod's ClusterNodeAuthorizer does
 * (security/pkg/server/ca/node_auth.go: authenticateImpersonation): the caller's
 * service account is a trusted node account, its token names its pod (a
 * bound token), that pod still exists with the same UID and service
 * account, and some pod with the requested identity is scheduled on the
 * same node. Returns the reason for a refusal, for our log only.
 */
export class NodeAuthorizer {
  private world: World | undefined;

  constructor(private readonly trusted: ReadonlySet<string>) {}

  /** The latest World from the pipeline; pods are read from it. */
  update(world: World): void {
    this.world = world;
  }

  check(caller: Identity, requested: string): string | undefined {
    const who = `${caller.namespace}/${caller.serviceAccount}`;
    if (!this.trusted.has(who)) return `caller ${who} is not allowed to impersonate`;
    const want = parseSpiffeId(requested);
    if (!want) return `impersonated identity ${requested} is not a SPIFFE identity`;
    if (want.trustDomain !== caller.trustDomain) {
      return `impersonated identity ${requested} is outside trust domain ${caller.trustDomain}`;
    }
    if (!caller.pod) return `caller ${who} did not prove its pod (a bound token names it)`;
    const world = this.world;
    if (!world) return 'pods are not known yet';
    const pod = get(world, 'Pod', caller.namespace, caller.pod.name);
    if (!pod) return `pod ${caller.namespace}/${caller.pod.name} not found`;
    if (caller.pod.uid !== undefined && pod.metadata.uid !== caller.pod.uid) {
      return `pod ${caller.namespace}/${caller.pod.name} found, but UID does not match: ${pod.metadata.uid} vs ${caller.pod.uid}`;
    }
    if (pod.spec?.serviceAccountName !== caller.serviceAccount) {
      return `pod ${caller.namespace}/${caller.pod.name} runs as ${pod.spec?.serviceAccountName}, not ${caller.serviceAccount}`;
    }
    const node = pod.spec?.nodeName;
    if (!node) return `pod ${caller.namespace}/${caller.pod.name} is not scheduled on a node`;
    const index = derived(world, 'Pod', 'ca.saNode', saNodeIndex);
    if (!index.has(`${want.namespace}/${want.serviceAccount}/${node}`)) {
      return `no instances of ${want.namespace}/${want.serviceAccount} found on node ${node}`;
    }
    return undefined;
  }
}
