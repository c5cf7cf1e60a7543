// `explain`: one request's journey from the caller, through the waypoint the
// ambient index chose, to its answer, evaluated on the configuration the
// waypoint is given. Pure over its inputs (the World, the index, and each
// waypoint's decoded resources).
import type { AmbientIndex } from '../ambient';
import { keyOf, type World } from '../model';
import type { EnvoyConfig } from './envoy-config';
import { walkWaypoint, type EnvoyJourney, type Flow, type Verdict } from './journey';
import {
  resolveDestination,
  resolveSource,
  splitTarget,
  waypointOf,
  type Destination,
  type Source,
  type WaypointChoice,
} from './resolve';

export { ExplainError } from './resolve';
export type { EnvoyConfig } from './envoy-config';
export type { Verdict, Outcome, EnvoyJourney } from './journey';

export interface ExplainInput {
  from?: string;
  to: string;
  /** Namespace for short names (-n). */
  namespace: string;
  protocol: 'http' | 'tcp';
  method: string;
  path: string;
  /** -H name=value, in order; a Host header sets the authority. */
  headers: readonly [string, string][];
  /** A token to send as Authorization: Bearer. */
  jwt?: string;
  /** Claims of a token taken as validly signed. */
  jwtClaims?: Record<string, unknown>;
  /** Overrides the caller's SPIFFE ID. */
  principal?: string;
  sni?: string;
  nowSeconds: number;
}

export interface Explanation {
  request: {
    protocol: 'http' | 'tcp';
    method?: string;
    path?: string;
    authority?: string;
    headers?: Record<string, string>;
    jwt?: 'token' | 'claims';
  };
  source: Source;
  destination?: Destination;
  waypoint?: WaypointChoice;
  journey?: EnvoyJourney;
  verdict: Verdict;
  /** Where the evaluated configuration came from (the manifests, or a server and proxy). */
  configuration?: string;
}

/** An unsigned token carrying the claims (alg none: the evaluator takes it as signed). */
export function claimsToken(claims: Record<string, unknown>): string {
  const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b({ alg: 'none', typ: 'JWT' })}.${b(claims)}.`;
}

export function explain(
  world: World,
  index: AmbientIndex,
  configOf: (waypoint: string) => EnvoyConfig | undefined,
  input: ExplainInput,
  trustDomain: string,
): Explanation {
  const source = resolveSource(world, input.from, input.namespace, trustDomain);
  if (input.principal !== undefined) source.principal = input.principal;
  const { host, port, portGiven } = splitTarget(input.to);
  const headers = new Map<string, string>();
  for (const [k, v] of input.headers) headers.set(k.toLowerCase(), v);
  const authority =
    headers.get('host') ?? headers.get(':authority') ?? (portGiven && port !== 80 ? `${host}:${port}` : host);
  headers.delete('host');
  headers.delete(':authority');
  const token = input.jwt ?? (input.jwtClaims ? claimsToken(input.jwtClaims) : undefined);
  if (token !== undefined && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  const request: Explanation['request'] =
    input.protocol === 'http'
      ? {
          protocol: 'http',
          method: input.method,
          path: input.path,
          authority,
          headers: Object.fromEntries([...headers].filter(([k]) => k !== 'authorization' || token === undefined)),
          ...(input.jwt !== undefined ? { jwt: 'token' as const } : input.jwtClaims ? { jwt: 'claims' as const } : {}),
        }
      : { protocol: 'tcp' };
  const destination = resolveDestination(world, input.to, source.namespace ?? input.namespace);
  const waypoint = waypointOf(index, destination);
  const target = `${destination.ip ?? destination.host}:${destination.port}`;
  // Explanations that end before any Envoy configuration is consulted.
  const before = (verdict: Explanation['verdict']): Explanation => ({
    request,
    source,
    destination,
    waypoint,
    verdict,
  });
  if (waypoint.waypoint === undefined)
    return before({
      outcome: 'no-waypoint',
      summary:
        `no waypoint: ztunnel sends it to ${destination.kind} ${destination.namespace}/${destination.name} (${target}) directly; no HTTP route or L7 policy applies` +
        workloadWaypoints(index, destination),
    });
  if (destination.ip === undefined)
    return before({
      outcome: 'unknown-destination',
      summary: `${destination.kind} ${destination.namespace}/${destination.name} has no address, so ztunnel cannot capture traffic to it`,
    });
  const cfg = configOf(waypoint.waypoint);
  if (!cfg) return before({ outcome: 'no-chain', summary: `no configuration for waypoint ${waypoint.waypoint}` });
  const flow: Flow = {
    protocol: input.protocol,
    ...(source.ip !== undefined ? { sourceIp: source.ip } : {}),
    ...(source.principal !== undefined ? { principal: source.principal } : {}),
    destIp: destination.ip,
    destPort: destination.port,
    ...(input.sni !== undefined ? { sni: input.sni } : {}),
    ...(input.protocol === 'http' ? { http: { method: input.method, path: input.path, authority, headers } } : {}),
    nowSeconds: input.nowSeconds,
  };
  const journey = walkWaypoint(cfg, flow);
  return { request, source, destination, waypoint, journey, verdict: journey.verdict };
}

/**
 * A Service without a waypoint may still have endpoints with a workload
 * waypoint of their own, which ztunnel uses for them; say which, so they can
 * be explained by pod IP.
 */
function workloadWaypoints(index: AmbientIndex, d: Destination): string {
  if (d.kind !== 'Service') return '';
  const bound = index
    .podsOf(d.key)
    .map((p) => ({ p, b: index.bindings.get(keyOf(p)) }))
    .filter((x) => x.b?.kind === 'bound');
  if (bound.length === 0) return '';
  const names = bound.map(({ p, b }) =>
    b?.kind === 'bound'
      ? `${p.metadata.name} (${p.status?.podIP ?? 'no IP'}) → ${b.waypoint.namespace}/${b.waypoint.name}`
      : '',
  );
  return `; but endpoints with a workload waypoint go through it: ${names.join(', ')} (explain them by pod IP)`;
}
