import { endpointsOf, type AmbientIndex, type Waypoint } from '../../ambient';
import { pack, TypeUrl, type PreparedResource, type TypeMap } from '../../envoy';
import { inNamespace, list, type Service, type World } from '../../model';
import { authzPolicyIR } from '../policy/authz';
import { rbacRules } from '../policy/rbac';
import { hostRefs, serviceTargetsOf } from '../refs';
import type { TranslateOptions } from '../context';
import { ADS } from '../common';
import { assignment } from '../waypoint/endpoints';
import { httpRoutesFor } from '../route/http-routes';
import type { AuthzPolicyIR, HttpRouteIR, OutboundClusterIR } from '../ir';
import { outbound } from '../names';
import {
  clientTls,
  destinationRuleFor,
  downstreamMtls,
  serverIdentities,
  serverRequiresMtls,
  upstreamMtls,
} from './proxyless-tls';
import { Reads } from '../reads';
import { fromInput, type Recipe } from '../recipe';
import { Reuse } from '../reuse';
import { envoyRoute } from '../waypoint/routes';
import { endpointIRs, hostnameOf, vipsOf } from '../services';

type Listener = TypeMap['envoy.config.listener.v3.Listener'];
type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];
type TransportSocket = TypeMap['envoy.config.core.v3.TransportSocket'];
type Assignment = TypeMap['envoy.config.endpoint.v3.ClusterLoadAssignment'];

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** The name gRPC's xDS server asks for to serve on `<ip>:<port>`. */
export const inboundListenerName = (ip: string, port: number) => `xds.istio.io/grpc/lds/inbound/${ip}:${port}`;

const router = () => ({ name: 'router', typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}) });

/**
 * What a gRPC client cannot execute is left out rather than NACKed: it rejects
 * redirects outright, and mirrors and rewrites would be silently different;
 * it has no CORS filter, so a per-route CORS config would be rejected.
 */
function supported(r: HttpRouteIR): HttpRouteIR | undefined {
  if (r.redirect) return undefined;
  return { ...r, mirrors: [], rewrite: undefined, cors: undefined };
}

function clientListener(name: string): Listener {
  return {
    name,
    api_listener: {
      api_listener: pack(HCM, {
        // gRPC ignores it; Envoy's rules require one.
        stat_prefix: name,
        rds: { config_source: ADS, route_config_name: name },
        http_filters: [router()],
      }),
    },
  };
}

type HttpFilter = TypeMap['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter'];

/**
 * AuthorizationPolicies targeting a Service, enforced by the gRPC servers
 * behind it: DENY before ALLOW, peers named by their mTLS principal.
 * A CUSTOM policy has no ext_authz here and fails closed as a DENY.
 */
function serverRbac(policies: AuthzPolicyIR[], trustDomain: string): HttpFilter[] {
  const live = policies.filter((p) => !p.dryRun);
  const deny = live.filter((p) => p.action === 'DENY' || p.action === 'CUSTOM');
  const allow = live.filter((p) => p.action === 'ALLOW');
  const out: HttpFilter[] = [];
  if (deny.length > 0)
    out.push({
      name: 'rbac-deny',
      typed_config: pack('envoy.extensions.filters.http.rbac.v3.RBAC', {
        rules: rbacRules(deny, 'DENY', trustDomain, 'grpc'),
      }),
    });
  if (allow.length > 0)
    out.push({
      name: 'rbac-allow',
      typed_config: pack('envoy.extensions.filters.http.rbac.v3.RBAC', {
        rules: rbacRules(allow, 'ALLOW', trustDomain, 'grpc'),
      }),
    });
  return out;
}

function serverListener(ip: string, port: number, rbac: HttpFilter[], mtls: boolean): Listener {
  return {
    name: inboundListenerName(ip, port),
    address: { socket_address: { address: ip, port_value: port } },
    filter_chains: [
      {
        // Named by mode, as istiod does, so a config dump shows what the server requires.
        name: mtls ? 'inbound-mtls' : 'inbound-plaintext',
        ...(mtls ? { transport_socket: downstreamMtls() } : {}),
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: pack(HCM, {
              stat_prefix: inboundListenerName(ip, port),
              route_config: {
                name: 'inbound',
                virtual_hosts: [
                  { name: 'inbound', domains: ['*'], routes: [{ match: { prefix: '/' }, non_forwarding_action: {} }] },
                ],
              },
              http_filters: [...rbac, router()],
            }),
          },
        ],
      },
    ],
  };
}

type HeaderMatcher = TypeMap['envoy.config.route.v3.HeaderMatcher'];

function legacyHeaderMatch(h: HeaderMatcher): HeaderMatcher {
  const m = h.string_match;
  if (!m || m.ignore_case) return h;
  const { string_match: _sm, ...rest } = h;
  if (m.exact !== undefined) return { ...rest, exact_match: m.exact };
  if (m.prefix !== undefined) return { ...rest, prefix_match: m.prefix };
  if (m.suffix !== undefined) return { ...rest, suffix_match: m.suffix };
  if (m.safe_regex) return { ...rest, safe_regex_match: m.safe_regex };
  return h;
}

/** gRPC takes a route's deadline from max_stream_duration, not from timeout. */
function grpcRoute(r: HttpRouteIR): TypeMap['envoy.config.route.v3.Route'] {
  const route = envoyRoute(r);
  // gRPC's matcher knows prefix, path and safe_regex only.
  const sep = route.match?.path_separated_prefix;
  if (route.match && sep !== undefined) {
    const { path_separated_prefix: _drop, ...rest } = route.match;
    route.match = { ...rest, prefix: sep };
  }
  // Older gRPC (C-core before string_match support, as in Debian's
  // python3-grpcio) only knows the legacy header matcher fields.
  if (route.match?.headers) route.match = { ...route.match, headers: route.match.headers.map(legacyHeaderMatch) };
  if (route.route && r.timeoutMs)
    route.route = { ...route.route, max_stream_duration: { max_stream_duration: route.route.timeout } };
  return route;
}

function edsCluster(name: string, tls: TransportSocket | undefined): Cluster {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS },
    lb_policy: 'ROUND_ROBIN',
    connect_timeout: { seconds: 10 },
    ...(tls ? { transport_socket: tls } : {}),
  };
}

function policiesFor(world: World, svc: Service): AuthzPolicyIR[] {
  const ns = svc.metadata.namespace;
  const key = `${ns}/${svc.metadata.name}`;
  return inNamespace(world, 'AuthorizationPolicy', ns)
    .filter((p) => serviceTargetsOf(p).includes(key))
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((p) => authzPolicyIR(p));
}

/**
 * One service port as a gRPC client and the servers behind it see it: the
 * proxyless view's IR, decided here and rendered in assemble(). Plain data,
 * never modified once built, so a piece reused across changes is the same
 * object and what is rendered from it is rendered once (PORT_RECIPES).
 */
export interface ProxylessPortIR {
  /** `<host>:<port>`: the client listener and its route configuration. */
  name: string;
  port: number;
  host: string;
  /** The port's own cluster, `outbound|<port>||<host>`. */
  own: string;
  /** AuthorizationPolicies targeting the Service, enforced by the servers behind it. */
  policies: AuthzPolicyIR[];
  /** Clusters the routes send to besides `own`. */
  outbound: OutboundClusterIR[];
  /** Routes a gRPC client can execute (see supported()). */
  entries: HttpRouteIR[];
  /** The port's own cluster with its endpoints. */
  cluster: OutboundClusterIR;
  /**
   * Each endpoint's address (the server listeners this port contributes
   * policies to) and whether that server must require mTLS (PeerAuthentication).
   */
  servers: { ip: string; port: number; mtls: boolean }[];
  /** Identities the client accepts from the servers, when an ISTIO_MUTUAL DestinationRule applies. */
  upstreamMtls?: string[];
}

/** One service's share of the proxyless view. */
export interface ServicePiece {
  namespace: string;
  name: string;
  ports: ProxylessPortIR[];
}

/** The proxyless view's IR: every service's piece, by namespace and name. */
export interface ProxylessIR {
  services: ServicePiece[];
}

type RouteConfiguration = TypeMap['envoy.config.route.v3.RouteConfiguration'];

export function servicePiece(world: World, index: AmbientIndex, opts: TranslateOptions, svc: Service, reads: Reads) {
  const host = hostnameOf(svc, opts.domain);
  const ns = svc.metadata.namespace;
  // Routes resolve as for a waypoint that owns nothing: every backend is an outbound cluster.
  const none: Waypoint = {
    namespace: ns,
    name: '',
    key: '',
    gateway: undefined as never,
    trafficType: 'none',
    ready: false,
    addresses: [],
    allowed: { from: 'Same' },
    listenerProblems: [],
  };
  const ctx = { world, index, waypoint: none, opts, reads };
  const piece: ServicePiece = { namespace: ns, name: svc.metadata.name, ports: [] };
  // mTLS on either side follows PeerAuthentication and DestinationRule, in
  // the service's namespace or the root namespace. Only a rule that could
  // match this host is looked at (destinationRuleFor), so a reader by
  // reference records the host's forms in each namespace consulted, and a
  // rule there reaches it when its host did or does (a wildcard always).
  for (const n of new Set([ns, opts.rootNamespace])) {
    reads.namespace('PeerAuthentication', n);
    for (const ref of hostRefs(host, n, opts.domain)) reads.referencing('DestinationRule', n, ref);
  }
  for (const p of svc.spec?.ports ?? []) {
    if (p.protocol === 'UDP' || p.protocol === 'SCTP') continue;
    reads.referencing('AuthorizationPolicy', ns, `${ns}/${svc.metadata.name}`);
    const http = httpRoutesFor(ctx, svc, p);
    const backends = endpointsOf(svc, p, ctx);
    // Only an explicit ISTIO_MUTUAL DestinationRule turns on client mTLS, as in
    // istiod: a gRPC client may not use xDS credentials, and there is no auto-mTLS.
    const rule = destinationRuleFor(world, host, ns, opts.rootNamespace, opts.domain);
    const name = `${host}:${p.port}`;
    const own = outbound(p.port, host);
    const endpoints = endpointIRs(svc, p, ctx, opts.clusterId);
    const entries = http.routes.map(supported).filter((r): r is HttpRouteIR => r !== undefined);
    const mtls = clientTls(rule, p.port)?.mode === 'ISTIO_MUTUAL';
    piece.ports.push({
      name,
      port: p.port,
      host,
      own,
      policies: policiesFor(world, svc),
      outbound: http.outbound,
      entries,
      cluster: { cluster: own, hostname: host, port: p.port, endpoints },
      servers: backends.map((e) => ({
        ip: e.ip,
        port: e.port,
        mtls: serverRequiresMtls(world, e, ns, opts.rootNamespace),
      })),
      ...(mtls ? { upstreamMtls: serverIdentities(backends, opts.trustDomain) } : {}),
    });
  }
  return piece;
}

type PieceOf = (svc: Service) => ServicePiece;

/** What a port renders to besides its cluster: made once per port IR object. */
interface PortRecipes {
  client: Recipe<Listener>;
  route: Recipe<RouteConfiguration>;
  tls?: TransportSocket;
}

// Keyed weakly by the port's IR: a reused piece passes the same object, so
// its recipes (and their inputs, compared by Reuse) are not made again.
const PORT_RECIPES = new WeakMap<ProxylessPortIR, PortRecipes>();

function recipesOf(pp: ProxylessPortIR): PortRecipes {
  let r = PORT_RECIPES.get(pp);
  if (!r) {
    r = {
      client: fromInput(pp.name, null, clientListenerOf),
      route: fromInput(pp.name, { host: pp.host, own: pp.own, entries: pp.entries }, routeOf),
      ...(pp.upstreamMtls ? { tls: upstreamMtls(pp.upstreamMtls) } : {}),
    };
    PORT_RECIPES.set(pp, r);
  }
  return r;
}

/** All a server listener is built from: its recipe input. */
interface ServerInput {
  ip: string;
  port: number;
  policies: AuthzPolicyIR[];
  mtls: boolean;
  trustDomain: string;
}

const serverListenerOf = ({ ip, port, policies, mtls, trustDomain }: ServerInput): Listener =>
  serverListener(ip, port, serverRbac(policies, trustDomain), mtls);

/**
 * Built from its input alone, so a cached recipe holds only these values: a
 * recipe that held a build's context would keep it (its Reuse, hence the
 * encodings before it) alive, and so on back.
 */
function serverRecipe(server: ServerInput): Recipe<Listener> {
  return fromInput(inboundListenerName(server.ip, server.port), server, serverListenerOf);
}

const clientListenerOf = (_: null, name: string): Listener => clientListener(name);

/** All a route is built from besides its name; a reused piece passes these same values again. */
interface RouteInput {
  host: string;
  own: string;
  entries: HttpRouteIR[];
}

const routeOf = ({ host, own, entries }: RouteInput, name: string): RouteConfiguration => ({
  name,
  virtual_hosts: [
    {
      name,
      domains: [host, name],
      routes: [...entries.map(grpcRoute), { name: 'default', match: { prefix: '/' }, route: { cluster: own } }],
    },
  ],
});

const clusterOf = (tls: TransportSocket | null, name: string): Cluster => edsCluster(name, tls ?? undefined);

/** A cluster's endpoints and the cluster ID that endpoints without a locality are placed in. */
interface LocalityInput {
  endpoints: OutboundClusterIR['endpoints'];
  clusterId: string;
}

function withLocality({ endpoints, clusterId }: LocalityInput, name: string): Assignment {
  // gRPC dials pods directly: plain socket addresses, never the HBONE tunnel.
  const cla = assignment(
    name,
    endpoints.map((e) => ({ ...e, inMesh: false })),
  );
  // gRPC ignores endpoints without a locality; give every group one.
  for (const g of cla.endpoints ?? []) {
    g.locality = g.locality?.region || g.locality?.zone ? g.locality : { region: clusterId, zone: 'default' };
    // gRPC weighs localities and skips one without a weight.
    g.load_balancing_weight = { value: 1 };
  }
  return cla;
}

// Server listener recipes of one service's policy list, by `ip\0port`: a
// reused piece keeps its policy list, so its server listeners are not
// re-made each change. Keyed weakly, so they go with the piece.
const SERVER_RECIPES = new WeakMap<AuthzPolicyIR[], Map<string, Recipe<Listener>>>();

/**
 * Configuration for proxyless gRPC (node metadata GENERATOR=grpc): a client
 * listener per service port (`<host>:<port>`, routes over RDS), an
 * `outbound|…` cluster per destination with endpoints that carry a locality,
 * and a server listener per workload address.
 */
export function buildProxyless(
  world: World,
  index: AmbientIndex,
  opts: TranslateOptions,
  reuse: Reuse = new Reuse(),
): Map<string, PreparedResource[]> {
  const ir = buildProxylessIR(world, index, opts);
  const pieces = new Map(ir.services.map((p) => [`${p.namespace}/${p.name}`, p]));
  return assemble(opts, reuse, list(world, 'Service'), (svc) => {
    const piece = pieces.get(`${svc.metadata.namespace}/${svc.metadata.name}`);
    if (!piece) throw new Error(`proxyless: no piece for Service ${svc.metadata.namespace}/${svc.metadata.name}`);
    return piece;
  }).byType;
}

/** The proxyless view's IR for the World: each Service with an address, in namespace and name order. */
export function buildProxylessIR(world: World, index: AmbientIndex, opts: TranslateOptions): ProxylessIR {
  const services = list(world, 'Service')
    .filter((svc) => vipsOf(svc).length > 0)
    .map((svc) => servicePiece(world, index, opts, svc, new Reads()));
  const at = (p: ServicePiece) => `${p.namespace}\u0000${p.name}`;
  return { services: services.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0)) };
}

export interface Assembled {
  byType: Map<string, PreparedResource[]>;
  /** Clusters that are a service's own (`outbound|<port>||<its host>`). */
  own: ReadonlySet<string>;
}

export function assemble(
  opts: TranslateOptions,
  reuse: Reuse,
  services: readonly Service[],
  pieceOf: PieceOf,
): Assembled {
  // Each resource is a recipe: its input decides whether it is built again.
  const listeners: Recipe<Listener>[] = [];
  const routes: Recipe<RouteConfiguration>[] = [];
  const clusters = new Map<string, OutboundClusterIR>();
  // Inputs are the pieces' own objects where possible: a reused piece passes
  // the same objects again, and Reuse then compares them without a walk.
  // A server's mode depends on its pod and port alone, so every service behind it agrees.
  const servers = new Map<string, { contributors: AuthzPolicyIR[][]; mtls: boolean; ip: string; port: number }>();
  const clusterTls = new Map<string, TransportSocket>();
  const own = new Set<string>();
  for (const svc of services) {
    if (vipsOf(svc).length === 0) continue;
    for (const pp of pieceOf(svc).ports) {
      const recipes = recipesOf(pp);
      // A service's own cluster wins over a route's reference to it, whichever comes first.
      clusters.set(pp.own, pp.cluster);
      own.add(pp.own);
      if (recipes.tls) clusterTls.set(pp.own, recipes.tls);
      for (const { ip, port, mtls } of pp.servers) {
        const key = `${ip}\u0000${port}`;
        const s = servers.get(key);
        if (s) s.contributors.push(pp.policies);
        else servers.set(key, { contributors: [pp.policies], mtls, ip, port });
      }
      for (const o of pp.outbound) if (!own.has(o.cluster)) clusters.set(o.cluster, o);
      listeners.push(recipes.client);
      routes.push(recipes.route);
    }
  }
  for (const [key, { contributors, mtls, ip, port }] of servers) {
    // One service's policies are already distinct; only several services' need merging.
    const only = contributors.length === 1 ? contributors[0] : undefined;
    const recipeKey = `${key}\u0000${mtls ? 'mtls' : 'plaintext'}\u0000${opts.trustDomain}`;
    const cached = only && SERVER_RECIPES.get(only)?.get(recipeKey);
    if (cached) {
      listeners.push(cached);
      continue;
    }
    const unique = only ?? [...new Map(contributors.flat().map((p) => [`${p.namespace}/${p.name}`, p])).values()];
    const recipe = serverRecipe({ ip, port, policies: unique, mtls, trustDomain: opts.trustDomain });
    if (only) {
      let m = SERVER_RECIPES.get(only);
      if (!m) SERVER_RECIPES.set(only, (m = new Map()));
      m.set(recipeKey, recipe);
    }
    listeners.push(recipe);
  }
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : 1);
  const cs = [...clusters.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1));
  const byType = new Map([
    [TypeUrl.Listener, listeners.sort(byName).map((r) => reuse.prepare('envoy.config.listener.v3.Listener', r))],
    [TypeUrl.Route, routes.sort(byName).map((r) => reuse.prepare('envoy.config.route.v3.RouteConfiguration', r))],
    [
      TypeUrl.Cluster,
      cs.map((c) => {
        // The transport socket (or its absence) is all a cluster is built from besides its name.
        const tls = clusterTls.get(c.cluster) ?? null;
        return reuse.prepare('envoy.config.cluster.v3.Cluster', fromInput(c.cluster, tls, clusterOf));
      }),
    ],
    [
      TypeUrl.Endpoint,
      cs.map((c) =>
        reuse.prepare(
          'envoy.config.endpoint.v3.ClusterLoadAssignment',
          fromInput(c.cluster, { endpoints: c.endpoints, clusterId: opts.clusterId }, withLocality),
        ),
      ),
    ],
  ]);
  return { byType, own };
}
