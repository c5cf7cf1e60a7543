import type { TypeMap } from '../envoy';

// Small building blocks shared by the resource builders.

export type ConfigSource = TypeMap['envoy.config.core.v3.ConfigSource'];

/** Everything dynamic comes over the same ADS stream. */
export const ADS: ConfigSource = { ads: {}, resource_api_version: 'V3' };

export function seconds(ms: number): TypeMap['google.protobuf.Duration'] {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/**
 * Workload certificates come from the proxy's own agent over the bootstrap
 * cluster sds-grpc, never from the control plane.
 */
export function sdsSecret(name: string): TypeMap['envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig'] {
  return {
    name,
    sds_config: {
      api_config_source: {
        api_type: 'GRPC',
        set_node_on_first_message_only: true,
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
      },
      resource_api_version: 'V3',
      initial_fetch_timeout: { seconds: 0 },
    },
  };
}

type Struct = TypeMap['google.protobuf.Struct'];
type Value = TypeMap['google.protobuf.Value'];

/** A protobuf Struct from plain JSON-like data. */
export function struct(obj: Record<string, unknown>): Struct {
  const fields: Record<string, Value> = {};
  for (const [k, v] of Object.entries(obj)) fields[k] = value(v);
  return { fields };
}

function value(v: unknown): Value {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
  if (v && typeof v === 'object') return { structValue: struct(v as Record<string, unknown>) };
  return { nullValue: 'NULL_VALUE' };
}

/** Stable, locale-independent ordering for names. */
export function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * A value computed on first use and shared afterwards. Constant filter
 * configs are packed once instead of once per chain: a waypoint with many
 * services repeats them hundreds of times, and the bytes are identical.
 */
export function once<T>(make: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= make());
}
