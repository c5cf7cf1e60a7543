// What Envoy would refuse among one waypoint's resources, and which input
// objects produced each refused resource, so they can be told why.
import { decodeMessage, TypeUrl, type PreparedResource } from '../../envoy';
import { blocking, type ResourceValidator, type Violation } from '../../validate';
import type { WaypointOutput } from '../translator';
import type { ChainPolicyIR, HttpRouteIR, TcpRouteIR, WaypointIR } from '../ir';
import * as names from '../names';

export interface SourceRef {
  kind: string;
  namespace?: string;
  name: string;
}

/** One resource the validator found problems in. */
export interface Rejection {
  /** The waypoint's `namespace/name`. */
  waypoint: string;
  typeUrl: string;
  name: string;
  version: string;
  violations: readonly Violation[];
  /** Envoy would NACK it; otherwise it loads with warnings and is served. */
  blocking: boolean;
  /** The objects that produced it. */
  sources: SourceRef[];
  /** False when `sources` is only the waypoint Gateway, for want of anything finer. */
  exact: boolean;
}

/**
 * The resources of `out` with violations, each with the objects it came
 * from. `known(typeUrl, r, i)` may name resources already found clean, which
 * are not looked up again.
 */
export function findRejections(
  out: WaypointOutput,
  validator: ResourceValidator,
  known?: (typeUrl: string, r: PreparedResource, i: number) => boolean,
): Rejection[] {
  const found: Rejection[] = [];
  for (const [typeUrl, resources] of out.resources)
    for (let i = 0; i < resources.length; i++) {
      const r = resources[i] as PreparedResource;
      if (known?.(typeUrl, r, i)) continue;
      const violations = validator.violations(r);
      if (violations.length === 0) continue;
      const { sources, exact } = provenance(out.ir, r, violations);
      found.push({
        waypoint: out.key,
        typeUrl,
        name: r.name,
        version: r.version,
        violations,
        blocking: blocking(violations),
        sources,
        exact,
      });
    }
  return found;
}

/**
 * Which objects produced `r`: a route configuration comes from the routes
 * of its service port; a main_internal filter chain from the policies and
 * TCP/TLS routes of its port (or the waypoint's own policies for the direct
 * chains), narrowed by the filter the violation is in (jwt_authn:
 * RequestAuthentications; RBAC, ext_authz: AuthorizationPolicies;
 * tcp_proxy: routes). Anything else (clusters, endpoints, the HBONE listeners) is built
 * from the waypoint and its services alone and is attributed to the Gateway.
 */
export function provenance(
  ir: WaypointIR,
  r: PreparedResource,
  violations: readonly Violation[],
): { sources: SourceRef[]; exact: boolean } {
  const found = new Map<string, SourceRef>();
  const add = (s: SourceRef) => found.set(`${s.kind}/${s.namespace ?? ''}/${s.name}`, s);
  if (r.typeUrl === TypeUrl.Route) {
    const port = servicePort(ir, r.name);
    for (const route of port?.httpRoutes ?? []) add(httpRouteRef(route));
  } else if (r.typeUrl === TypeUrl.Listener && r.name === names.MAIN_INTERNAL) {
    for (const [chain, paths] of chainViolations(r, violations)) {
      const direct = chain === names.DIRECT_HTTP || chain === names.DIRECT_TCP;
      const port = direct ? undefined : servicePort(ir, chain);
      const policy = direct ? ir.direct : port?.policy;
      // The filter a violation is in narrows which objects it came from.
      const within = (re: RegExp) => paths.every((p) => re.test(p));
      const only = within(JWT_FILTER) ? 'jwt' : within(AUTHZ_FILTER) ? 'authz' : within(TCP_FILTER) ? 'tcp' : 'all';
      if (policy && only !== 'tcp') for (const s of policyRefs(policy, only)) add(s);
      if (only === 'all' || only === 'tcp') {
        for (const route of port?.tcpRoutes ?? []) add(tcpRouteRef(route.kind, route));
      }
    }
  }
  if (found.size > 0) return { sources: [...found.values()], exact: true };
  return { sources: [{ kind: 'Gateway', namespace: ir.namespace, name: ir.name }], exact: false };
}

/** The service port an `inbound-vip|<port>|<protocol>|<hostname>` name belongs to. */
function servicePort(ir: WaypointIR, name: string) {
  const c = names.clusterNameParts(name);
  if (c?.kind !== 'inbound-vip') return undefined;
  return ir.services.find((s) => s.hostname === c.hostname)?.ports.find((p) => p.port === c.port);
}

/** Route entries are named `<namespace>.<route>.<rule>`; namespaces have no dots, route names may. */
function splitRouteName(name: string): { namespace: string; name: string } {
  const first = name.indexOf('.');
  const last = name.lastIndexOf('.');
  return { namespace: name.slice(0, first), name: name.slice(first + 1, last) };
}

const httpRouteRef = (r: HttpRouteIR): SourceRef =>
  r.source ?? {
    kind: r.grpc ? 'GRPCRoute' : 'HTTPRoute',
    ...splitRouteName(r.name),
  };
const tcpRouteRef = (kind: string, r: TcpRouteIR): SourceRef => r.source ?? { kind, ...splitRouteName(r.name) };

const JWT_FILTER = /<envoy\.extensions\.filters\.http\.jwt_authn\./;
const AUTHZ_FILTER = /<envoy\.extensions\.filters\.(http|network)\.(rbac|ext_authz)\./;
const TCP_FILTER = /<envoy\.extensions\.filters\.network\.tcp_proxy\./;

function policyRefs(p: ChainPolicyIR, only: 'jwt' | 'authz' | 'all'): SourceRef[] {
  const out: SourceRef[] =
    only === 'jwt' ? [] : p.authz.map((a) => ({ kind: 'AuthorizationPolicy', namespace: a.namespace, name: a.name }));
  if (only !== 'authz')
    for (const j of p.jwt) {
      const [namespace, name] = j.key.split('/');
      if (namespace && name) out.push({ kind: 'RequestAuthentication', namespace, name });
    }
  return out;
}

/** The filter chains the violations are in (paths `…Listener.filter_chains[i]…`), by name, with their paths. */
function chainViolations(r: PreparedResource, violations: readonly Violation[]): Map<string, string[]> {
  const byIndex = new Map<number, string[]>();
  for (const v of violations) {
    const m = /^[\w.]*Listener\.filter_chains\[(\d+)\]/.exec(v.path);
    if (m) byIndex.set(Number(m[1]), [...(byIndex.get(Number(m[1])) ?? []), v.path]);
  }
  const out = new Map<string, string[]>();
  if (byIndex.size === 0) return out;
  const listener = decodeMessage('envoy.config.listener.v3.Listener', r.body) as {
    filter_chains?: { name?: string }[];
  };
  for (const [i, paths] of byIndex) {
    const name = listener.filter_chains?.[i]?.name;
    if (name) out.set(name, [...(out.get(name) ?? []), ...paths]);
  }
  return out;
}
