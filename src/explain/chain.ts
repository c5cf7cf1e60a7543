// Filter chain selection on a listener with a filter_chain_matcher (the
// xds.type.matcher.v3 tree istiod builds for main_internal): each input
// (destination IP, port, sniffed application protocol, SNI) is read from the
// connection and the tree walked to a filter chain name.
import { arr, inCidr, num, obj, str } from './matchers';

export interface Connection {
  destIp: string;
  destPort: number;
  /** What http_inspector would find: 'http/1.1' or 'h2c' for HTTP, nothing for other bytes. */
  applicationProtocol?: string;
  sni?: string;
  transportProtocol: 'raw_buffer' | 'tls';
}

export interface ChainChoice {
  chain?: string;
  /** Each decision taken in the tree, in words. */
  steps: string[];
}

function inputValue(input: unknown, c: Connection): { label: string; value?: string } {
  const type = str(obj(obj(input).typedConfig)['@type']) ?? '';
  if (type.endsWith('.DestinationIPInput')) return { label: 'destination IP', value: c.destIp };
  if (type.endsWith('.DestinationPortInput')) return { label: 'destination port', value: String(c.destPort) };
  if (type.endsWith('.ApplicationProtocolInput'))
    // Envoy joins the sniffed protocols as a quoted list: 'http/1.1'.
    return {
      label: 'sniffed protocol',
      value: c.applicationProtocol === undefined ? undefined : `'${c.applicationProtocol}'`,
    };
  if (type.endsWith('.ServerNameInput')) return { label: 'SNI', value: c.sni };
  if (type.endsWith('.TransportProtocolInput')) return { label: 'transport', value: c.transportProtocol };
  return { label: type || 'unknown input' };
}

function onMatch(m: unknown, c: Connection, steps: string[]): string | undefined {
  const o = obj(m);
  if (o.action !== undefined) return str(obj(o.action).name) ?? str(obj(obj(o.action).typedConfig).value);
  if (o.matcher !== undefined) return walk(o.matcher, c, steps);
  return undefined;
}

function walk(matcher: unknown, c: Connection, steps: string[]): string | undefined {
  const m = obj(matcher);
  const tree = obj(m.matcherTree);
  const { label, value } = inputValue(tree.input, c);
  let found: string | undefined;
  let hit = false;
  if (tree.exactMatchMap !== undefined) {
    const map = obj(obj(tree.exactMatchMap).map);
    if (value !== undefined && map[value] !== undefined) {
      steps.push(`${label} ${value} is in the map`);
      hit = true;
      found = onMatch(map[value], c, steps);
    } else steps.push(`${label} ${value ?? '(none)'} is not in the map (${Object.keys(map).join(', ')})`);
  } else if (tree.prefixMatchMap !== undefined) {
    const map = obj(obj(tree.prefixMatchMap).map);
    const key = Object.keys(map)
      .filter((k) => value !== undefined && value.startsWith(k))
      .sort((a, b) => b.length - a.length)[0];
    if (key !== undefined) {
      steps.push(`${label} ${value} has prefix ${key}`);
      hit = true;
      found = onMatch(map[key], c, steps);
    } else steps.push(`${label} ${value ?? '(none)'} has no prefix in the map`);
  } else if (tree.customMatch !== undefined) {
    // IPMatcher: the most specific range holding the address wins.
    const ranges = arr(obj(obj(tree.customMatch).typedConfig).rangeMatchers)
      .flatMap((rm) => arr(obj(rm).ranges).map((r) => ({ r: obj(r), on: obj(rm).onMatch })))
      .filter((x) => inCidr(value, x.r))
      .sort((a, b) => (num(b.r.prefixLen) ?? 0) - (num(a.r.prefixLen) ?? 0));
    const best = ranges[0];
    if (best) {
      steps.push(`${label} ${value} is in ${str(best.r.addressPrefix)}/${num(best.r.prefixLen) ?? 32}`);
      hit = true;
      found = onMatch(best.on, c, steps);
    } else steps.push(`${label} ${value ?? '(none)'} is in no range of the matcher`);
  }
  if (found !== undefined) return found;
  if (m.onNoMatch !== undefined) {
    if (hit) steps.push('no decision below it: the fallback applies');
    return onMatch(m.onNoMatch, c, steps);
  }
  return undefined;
}

/** The filter chain (by name) a connection lands on, and why. */
export function chooseChain(listener: unknown, c: Connection): ChainChoice {
  const l = obj(listener);
  const steps: string[] = [];
  let chain: string | undefined;
  if (l.filterChainMatcher !== undefined) chain = walk(l.filterChainMatcher, c, steps);
  if (chain === undefined && l.defaultFilterChain !== undefined) {
    chain = str(obj(l.defaultFilterChain).name) ?? 'default';
    steps.push('the default filter chain applies');
  }
  return { ...(chain !== undefined ? { chain } : {}), steps };
}

/** ListenerFilterChainMatchPredicate (listener/v3) for a destination port. */
function predicateHolds(p: unknown, port: number): boolean {
  const o = obj(p);
  if (o.anyMatch === true) return true;
  if (o.orMatch !== undefined) return arr(obj(o.orMatch).rules).some((r) => predicateHolds(r, port));
  if (o.andMatch !== undefined) return arr(obj(o.andMatch).rules).every((r) => predicateHolds(r, port));
  if (o.notMatch !== undefined) return !predicateHolds(o.notMatch, port);
  if (o.destinationPortRange !== undefined) {
    const r = obj(o.destinationPortRange);
    return port >= (num(r.start) ?? 0) && port < (num(r.end) ?? 0);
  }
  return false;
}

/** Whether http_inspector runs for this port (its filter_disabled predicate turns it off). */
export function sniffsHttp(listener: unknown, port: number): boolean {
  const f = arr(obj(listener).listenerFilters)
    .map(obj)
    .find((x) => x.name === 'envoy.filters.listener.http_inspector');
  if (!f) return false;
  return f.filterDisabled === undefined || !predicateHolds(f.filterDisabled, port);
}
