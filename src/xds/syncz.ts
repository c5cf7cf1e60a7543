import { setFlagsFromString } from 'node:v8';
import type { OutputTypeMap, TypeMap } from '../envoy';
import type { Connection } from './connection';
import { TypeState } from './type-state';
import { TypeUrl } from '../envoy';

const ENVOY_TYPES = [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener, TypeUrl.Route];

type ClientConfig = TypeMap['envoy.service.status.v3.ClientConfig'];
type NodeMatcher = OutputTypeMap['envoy.type.matcher.v3.NodeMatcher'];
type StringMatcher = OutputTypeMap['envoy.type.matcher.v3.StringMatcher'];

function timestamp(d: Date | undefined): TypeMap['google.protobuf.Timestamp'] | undefined {
  if (!d) return undefined;
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function clientStatus(st: TypeState): 'NACKED' | 'REQUESTED' | 'ACKED' {
  if (st.error) return 'NACKED';
  if (st.nonceSent === '') return 'REQUESTED';
  return st.nonceAcked === st.nonceSent ? 'ACKED' : 'REQUESTED';
}

/**
 * One ClientConfig per proxy, in the shape Istio's syncz debug type and CSDS
 * use: node id `<pod>.<ns>` and, per type, a config status computed from the
 * stream's nonces and the last rejection.
 */
export function clientConfigOf(conn: Connection): ClientConfig {
  const proxy = conn.proxy;
  const configs: NonNullable<ClientConfig['generic_xds_configs']> = [];
  // The four Envoy types are always listed (NOT_SENT until requested), as
  // proxy-status shows a column for each.
  const states = new Map(conn.states);
  for (const t of ENVOY_TYPES) if (!states.has(t)) states.set(t, new TypeState(t));
  for (const st of [...states.values()].sort((a, b) => (a.typeUrl < b.typeUrl ? -1 : 1))) {
    configs.push({
      type_url: st.typeUrl,
      version_info: st.versionAcked || st.versionSent,
      config_status: st.status(),
      client_status: clientStatus(st),
      last_updated: timestamp(st.lastSentAt),
      error_state: st.error
        ? { details: st.error.message, last_update_attempt: timestamp(st.error.at), version_info: st.error.nonce }
        : undefined,
    });
  }
  return {
    node: {
      id: proxy?.proxyId ?? conn.id,
      cluster: proxy?.cluster ?? '',
      metadata: proxy?.raw.metadata ?? undefined,
    },
    generic_xds_configs: configs,
  };
}

/** Connections that asked for configuration (debug-only streams are not proxies). */
export function proxiesOf(conns: Iterable<Connection>): Connection[] {
  return [...conns]
    .filter((c) => c.proxy && c.states.size > 0)
    .sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

type IdMatcher = (id: string) => boolean;

function stringMatcher(m: StringMatcher | null): IdMatcher {
  if (!m) return () => true;
  switch (m.match_pattern) {
    case 'exact': {
      const want = m.exact ?? '';
      return m.ignore_case ? (s) => s.toLowerCase() === want.toLowerCase() : (s) => s === want;
    }
    case 'prefix':
      return (s) => s.startsWith(m.prefix ?? '');
    case 'suffix':
      return (s) => s.endsWith(m.suffix ?? '');
    case 'contains':
      return (s) => s.includes(m.contains ?? '');
    case 'safe_regex': {
      const re = linearRegex(m.safe_regex?.regex ?? '');
      return (s) => re.test(s);
    }
    default:
      return () => true;
  }
}

// A CSDS caller chooses the pattern, so a backtracking regex would let one
// request stall the server. V8's linear-time engine (the `l` flag, behind a
// flag of its own, read when a pattern is compiled) runs in time proportional
// to the input, as RE2 does for Envoy; patterns it cannot run that way are
// refused, and so is every pattern if this runtime has no such engine.
setFlagsFromString('--enable-experimental-regexp-engine');
const LINEAR = (() => {
  try {
    return new RegExp('a', 'l').test('a');
  } catch {
    return false;
  }
})();
const MAX_REGEX = 1024;
/** Most node matchers one CSDS request may carry. */
export const MAX_NODE_MATCHERS = 64;

function linearRegex(src: string): RegExp {
  if (!LINEAR) throw new Error('node_id safe_regex matchers are not supported on this runtime');
  if (src.length > MAX_REGEX) throw new Error(`node_id regex is ${src.length} characters; the limit is ${MAX_REGEX}`);
  try {
    // Compiled alone first: only a pattern that is whole by itself may be
    // anchored, or `a)|(.*` would escape the anchors.
    new RegExp(src, 'l');
    return new RegExp(`^(?:${src})$`, 'l');
  } catch (e) {
    throw new Error(
      `node_id regex ${JSON.stringify(src)} is not supported: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * CSDS node matchers, compiled once per request: a connection matches when
 * any matcher accepts its node id. Throws on a matcher that cannot be used.
 */
export function nodeMatcher(matchers: readonly NodeMatcher[]): (conn: Connection) => boolean {
  if (matchers.length > MAX_NODE_MATCHERS) {
    throw new Error(`${matchers.length} node matchers; the limit is ${MAX_NODE_MATCHERS}`);
  }
  if (matchers.length === 0) return () => true;
  const tests = matchers.map((m) => stringMatcher(m.node_id));
  return (conn) => {
    const ids = [conn.proxy?.nodeId ?? '', conn.proxy?.proxyId ?? ''];
    return tests.some((t) => ids.some(t));
  };
}
