// The proto files we load. Envoy's ship in the @grpc/grpc-js-xds package and
// are never copied; ours live in proto/. The list is JSON so the type
// generator (scripts/gen-types.mjs) reads the very same list.
import files from './proto-files.json';

export const ENVOY_PROTO_FILES: readonly string[] = files.envoy;
export const OWN_PROTO_FILES: readonly string[] = files.own;
