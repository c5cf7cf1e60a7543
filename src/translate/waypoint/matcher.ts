import { pack, type TypeMap } from '../../envoy';
import { cidrOf } from '../../model/typed';
import { once } from '../common';

type Matcher = TypeMap['xds.type.matcher.v3.Matcher'];
type OnMatch = TypeMap['xds.type.matcher.v3.Matcher.OnMatch'];
type CidrRange = TypeMap['xds.core.v3.CidrRange'];

/** Which chain serves one destination port, by detected protocol and SNI. */
export interface ChainSelector {
  http?: string;
  tcp?: string;
}

/** A service's addresses and, by port, how its chains are picked. */
export interface VipTarget {
  vips: readonly string[];
  ports: ReadonlyMap<number, ChainSelector>;
}

const NETWORK_INPUTS = 'envoy.extensions.matching.common_inputs.network.v3';

// The matcher inputs have no fields: each is packed once, not once per VIP.
// Names as istiod's (match.go), which istioctl and config dumps show.
const portInput = once(() => ({ name: 'port', typed_config: pack(`${NETWORK_INPUTS}.DestinationPortInput`, {}) }));
const protocolInput = once(() => ({
  name: 'application-protocol',
  typed_config: pack(`${NETWORK_INPUTS}.ApplicationProtocolInput`, {}),
}));
const ipInput = once(() => ({ name: 'ip', typed_config: pack(`${NETWORK_INPUTS}.DestinationIPInput`, {}) }));

const chain = (name: string): OnMatch => ({
  action: { name, typed_config: pack('google.protobuf.StringValue', { value: name }) },
});

// match.go: NewAppProtocol — http_inspector reports HTTP as these
// application protocols; anything else is TCP. HTTP/1.0 is not among them
// (istiod adds it only with PILOT_HTTP10, off by default).
const HTTP_PROTOCOLS = ["'h2c'", "'http/1.1'"];

function byProtocol(http: string, tcp: OnMatch): OnMatch {
  const map: Record<string, OnMatch> = {};
  for (const p of HTTP_PROTOCOLS) map[p] = chain(http);
  return { matcher: { matcher_tree: { input: protocolInput(), exact_match_map: { map } }, on_no_match: tcp } };
}

function forSelector(sel: ChainSelector): OnMatch {
  if (sel.http && sel.tcp) return byProtocol(sel.http, chain(sel.tcp));
  if (sel.http) return chain(sel.http);
  return chain(sel.tcp ?? '');
}

/** util.go: ConvertAddressToCidr — one address as a host range; a CIDR (ServiceEntry addresses) as itself. */
function hostRange(ip: string): CidrRange {
  if (ip.includes('/')) {
    const c = cidrOf(ip);
    return { address_prefix: c.address, prefix_len: { value: c.prefixLen } };
  }
  return { address_prefix: ip, prefix_len: { value: ip.includes(':') ? 128 : 32 } };
}

/**
 * listener_waypoint.go: buildWaypointInternal — picks the filter chain by
 * destination IP: a service's VIP, then its port, then the detected
 * protocol; or the IP of a workload bound to this waypoint, then the
 * detected protocol (direct chains). Any other destination matches nothing
 * and is closed: the waypoint never tunnels to an address it does not serve.
 */
export function chainMatcher(
  targets: readonly VipTarget[],
  workloadIps: readonly string[],
  direct: { http: string; tcp: string },
): Matcher {
  const rangeMatchers: TypeMap['xds.type.matcher.v3.IPMatcher.IPRangeMatcher'][] = [];
  for (const t of targets) {
    if (t.vips.length === 0 || t.ports.size === 0) continue;
    const portMap: Record<string, OnMatch> = {};
    for (const port of [...t.ports.keys()].sort((a, b) => a - b))
      portMap[String(port)] = forSelector(t.ports.get(port) ?? {});
    rangeMatchers.push({
      ranges: [...t.vips].sort().map(hostRange),
      on_match: { matcher: { matcher_tree: { input: portInput(), exact_match_map: { map: portMap } } } },
    });
  }
  if (workloadIps.length > 0)
    rangeMatchers.push({ ranges: workloadIps.map(hostRange), on_match: byProtocol(direct.http, chain(direct.tcp)) });
  return {
    matcher_tree: {
      input: ipInput(),
      custom_match: {
        name: 'ip',
        typed_config: pack('xds.type.matcher.v3.IPMatcher', { range_matchers: rangeMatchers }),
      },
    },
  };
}
