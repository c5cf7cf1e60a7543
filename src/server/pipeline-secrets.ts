import type { Logger } from 'pino';
import { TypeUrl, type PreparedResource } from '../envoy';
import { parseKey, type World } from '../model';
import type { WaypointOutput } from '../translate';
import { buildSecrets, carriesKey, referencedCredentials } from '../translate/waypoint/secrets';
import type { SnapshotCache } from '../xds';

/**
 * Whether the service account a waypoint runs as may be sent key pairs from
 * its namespace (sds.go: filterAuthorizedResources, which asks the API server
 * whether it may list Secrets there). `undefined`: not known yet; the answer
 * arrives later through SecretStep.recheck.
 */
export type SecretAuthorizer = (namespace: string, serviceAccount: string) => boolean | undefined;

/**
 * Puts each waypoint's SDS secrets in the cache beside its other resources:
 * again for the waypoints just translated, and for every waypoint when a
 * Secret or ConfigMap changed (few waypoints name credentials, and a secret's
 * change must reach each one that fetches it). Names that get nothing are
 * logged once per change of reason, never with secret material.
 */
export class SecretStep {
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly cache: SnapshotCache,
    private readonly log?: Logger,
    private readonly authorize: SecretAuthorizer = () => true,
  ) {}

  run(
    world: World,
    outputs: ReadonlyMap<string, WaypointOutput>,
    translated: readonly string[],
    removed: readonly string[],
    changed: ReadonlySet<string> | 'all',
  ): void {
    for (const key of removed) this.reported.delete(key);
    const all = changed === 'all' || [...changed].some((k) => credentialKind(parseKey(k).kind));
    for (const key of all ? outputs.keys() : translated) {
      const out = outputs.get(key);
      if (out) this.put(world, out);
    }
  }

  /** Builds one waypoint's secrets again (say, once its authorization is known). */
  recheck(world: World, out: WaypointOutput): void {
    this.put(world, out);
  }

  private put(world: World, out: WaypointOutput): void {
    const names = referencedCredentials(out.ir);
    const { resources, problems } = buildSecrets(world, out.namespace, names);
    const allowed: PreparedResource[] = [];
    const reasons = problems.map((p) => `${p.name}: ${p.reason}`);
    for (const r of resources) {
      if (!carriesKey(r.name)) allowed.push(r);
      else {
        const ok = this.authorize(out.namespace, out.name);
        if (ok) allowed.push(r);
        else if (ok === false)
          reasons.push(`${r.name}: ${out.namespace}/${out.name} is not authorized to read secrets in ${out.namespace}`);
      }
    }
    this.cache.set(out.key, new Map([[TypeUrl.Secret, allowed]]));
    const text = reasons.join('\n');
    if ((this.reported.get(out.key) ?? '') === text) return;
    this.reported.set(out.key, text);
    if (reasons.length > 0) this.log?.warn({ waypoint: out.key, credentials: reasons }, 'credentials not sent');
  }
}

const credentialKind = (kind: string) => kind === 'Secret' || kind === 'ConfigMap';
