import { pack, type TypeMap } from '../../envoy';
import { once } from '../common';
import type { IstioProtocol, ServicePortIR } from '../ir';
import { chainKind, isTls } from '../services';

type ListenerFilter = TypeMap['envoy.config.listener.v3.ListenerFilter'];
type Predicate = TypeMap['envoy.config.listener.v3.ListenerFilterChainMatchPredicate'];

const ORIGINAL_DST = 'envoy.filters.listener.original_dst';
const HTTP_INSPECTOR = 'envoy.filters.listener.http_inspector';
const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';

/** filters.go: OriginalDestination. */
export const originalDstFilter = once((): ListenerFilter => ({
  name: ORIGINAL_DST,
  typed_config: pack('envoy.extensions.filters.listener.original_dst.v3.OriginalDst', {}),
}));

const httpInspectorConfig = once(() => pack('envoy.extensions.filters.listener.http_inspector.v3.HttpInspector', {}));
// filters.go: TLSInspector — a 512-byte first read instead of Envoy's 64 KiB.
const tlsInspectorConfig = once(() =>
  pack('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', { initial_read_buffer_size: { value: 512 } }),
);

/** listener_inbound.go: listenerPredicateExcludePorts — matches the given destination ports. */
function portsPredicate(ports: number[]): Predicate {
  const rules: Predicate[] = ports.map((p) => ({ destination_port_range: { start: p, end: p + 1 } }));
  return rules.length === 1 ? (rules[0] as Predicate) : { or_match: { rules } };
}

/** What the listener filters read: each served port's protocol, and whether workloads are bound. */
export interface ListenerFilterInput {
  readonly services: readonly { readonly ports: readonly Pick<ServicePortIR, 'port' | 'istioProtocol'>[] }[];
  readonly workloadIps: readonly string[];
}

/**
 * listener_waypoint.go: buildWaypointInternal — per destination port, what
 * the waypoint's services carry there; a port both HTTP and TCP (across
 * services) needs sniffing.
 */
function portKinds(ir: ListenerFilterInput): Map<number, IstioProtocol> {
  const out = new Map<number, IstioProtocol>();
  for (const s of ir.services)
    for (const p of s.ports) {
      const before = out.get(p.port);
      const mixed = before !== undefined && chainKind(before) !== chainKind(p.istioProtocol);
      out.set(p.port, mixed ? 'unsupported' : p.istioProtocol);
    }
  return out;
}

/**
 * listener_waypoint.go: buildWaypointInternal — main_internal's listener
 * filters. original_dst restores the destination HBONE carried.
 * http_inspector sniffs the protocol; it would stall server-first protocols,
 * so with no workloads bound (whose every port is open) it is disabled on
 * the ports that are only HTTP or only TCP. tls_inspector is added when some
 * port is TLS, disabled on the ports that are never TLS, so SNI can match.
 */
export function mainInternalFilters(ir: ListenerFilterInput): ListenerFilter[] {
  const kinds = portKinds(ir);
  const out: ListenerFilter[] = [originalDstFilter()];
  const noSniff =
    ir.workloadIps.length > 0 ? [] : [...kinds].filter(([, p]) => p !== 'unsupported').map(([port]) => port);
  out.push({
    name: HTTP_INSPECTOR,
    typed_config: httpInspectorConfig(),
    ...(noSniff.length > 0 ? { filter_disabled: portsPredicate(noSniff.sort((a, b) => a - b)) } : {}),
  });
  const tlsPorts = new Set<number>();
  const plainPorts = new Set<number>();
  for (const s of ir.services) for (const p of s.ports) (isTls(p.istioProtocol) ? tlsPorts : plainPorts).add(p.port);
  if (tlsPorts.size > 0) {
    const plain = [...plainPorts].filter((p) => !tlsPorts.has(p)).sort((a, b) => a - b);
    out.push({
      name: TLS_INSPECTOR,
      typed_config: tlsInspectorConfig(),
      ...(plain.length > 0 ? { filter_disabled: portsPredicate(plain) } : {}),
    });
  }
  return out;
}
