import type { TypeMap } from '../envoy';
import type { Connection } from './connection';
import { TypeState } from './type-state';
import { DebugTypeUrl, encodeAny, encodeMessage, lenField, typeUrlOf, TypeUrl } from '../envoy';
import { encodeSotwResponse } from './frame';

const ENVOY_TYPES = [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener, TypeUrl.Route];

type ClientConfig = TypeMap['envoy.service.status.v3.ClientConfig'];

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

/** The SotW response carrying `configs` as syncz (one ClientConfig per proxy). */
export function encodeSynczResponse(configs: readonly ClientConfig[], controlPlane: Buffer): Buffer {
  const url = typeUrlOf('envoy.service.status.v3.ClientConfig');
  const fields = configs.map((cfg) =>
    lenField(2, encodeAny(url, encodeMessage('envoy.service.status.v3.ClientConfig', cfg))),
  );
  return encodeSotwResponse({
    versionInfo: new Date().toISOString(),
    typeUrl: DebugTypeUrl.Syncz,
    nonce: `syncz-${Date.now()}`,
    resourceFields: fields,
    controlPlane,
  });
}
