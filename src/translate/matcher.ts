import { pack, type TypeMap } from '../envoy';
import { once } from './common';

type Matcher = TypeMap['xds.type.matcher.v3.Matcher'];
type OnMatch = TypeMap['xds.type.matcher.v3.Matcher.OnMatch'];

/** Which chain serves one destination port, by detected protocol and SNI. */
export interface ChainSelector {
  http?: string;
  tcp?: string;
  tls?: { sni: string; chain: string };
}

const NETWORK_INPUTS = 'envoy.extensions.matching.common_inputs.network.v3';

// The matcher inputs have no fields: each is packed once, not once per VIP.
const portInput = once(() => ({ name: 'port', typed_config: pack(`${NETWORK_INPUTS}.DestinationPortInput`, {}) }));
const protocolInput = once(() => ({
  name: 'protocol',
  typed_config: pack(`${NETWORK_INPUTS}.ApplicationProtocolInput`, {}),
}));
const sniInput = once(() => ({ name: 'sni', typed_config: pack(`${NETWORK_INPUTS}.ServerNameInput`, {}) }));
const ipInput = once(() => ({ name: 'ip', typed_config: pack(`${NETWORK_INPUTS}.DestinationIPInput`, {}) }));

const chain = (name: string): OnMatch => ({
  action: { name, typed_config: pack('google.protobuf.StringValue', { value: name }) },
});

// http_inspector reports HTTP as these application protocols; anything else
// on a sniffed port is TCP.
const HTTP_PROTOCOLS = ["'h2c'", "'http/1.1'", "'http/1.0'"];

function bySni(sel: ChainSelector, fallback: OnMatch): OnMatch {
  if (!sel.tls) return fallback;
  return {
    matcher: {
      matcher_tree: {
        input: sniInput(),
        exact_match_map: { map: { [sel.tls.sni]: chain(sel.tls.chain) } },
      },
      on_no_match: fallback,
    },
  };
}

function forSelector(sel: ChainSelector): OnMatch {
  if (sel.http && sel.tcp) {
    const map: Record<string, OnMatch> = {};
    for (const p of HTTP_PROTOCOLS) map[p] = chain(sel.http);
    return {
      matcher: {
        matcher_tree: {
          input: protocolInput(),
          exact_match_map: { map },
        },
        on_no_match: bySni(sel, chain(sel.tcp)),
      },
    };
  }
  if (sel.http) return chain(sel.http);
  return bySni(sel, chain(sel.tcp ?? ''));
}

/**
 * Picks the filter chain by destination IP (a service VIP), then port, then
 * detected protocol. Traffic to any other address (a workload IP) falls to
 * the direct chains.
 */
export function chainMatcher(
  byVip: ReadonlyMap<string, ReadonlyMap<number, ChainSelector>>,
  direct: { http: string; tcp: string },
): Matcher {
  const vipMap: Record<string, OnMatch> = {};
  for (const vip of [...byVip.keys()].sort()) {
    const ports = byVip.get(vip) ?? new Map<number, ChainSelector>();
    const portMap: Record<string, OnMatch> = {};
    for (const port of [...ports.keys()].sort((a, b) => a - b))
      portMap[String(port)] = forSelector(ports.get(port) ?? {});
    vipMap[vip] = {
      matcher: {
        matcher_tree: {
          input: portInput(),
          exact_match_map: { map: portMap },
        },
      },
    };
  }
  const fallback = forSelector({ http: direct.http, tcp: direct.tcp });
  // With no service VIPs (a workload-only waypoint) there is nothing to look
  // up by address: the protocol alone picks a direct chain.
  if (Object.keys(vipMap).length === 0 && fallback.matcher) return fallback.matcher;
  return {
    matcher_tree: {
      input: ipInput(),
      exact_match_map: { map: vipMap },
    },
    on_no_match: fallback,
  };
}
