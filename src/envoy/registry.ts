import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import { ENVOY_PROTO_FILES, OWN_PROTO_FILES } from './proto-files';
import { envoyIncludeDirs, ownProtoDir } from './proto-paths';

// Importing proto-loader registers descriptor.proto and the other well-known
// files with protobufjs; the validate annotations in Envoy's protos need them.
void protoLoader;

let root: protobuf.Root | undefined;

// Reuse proto-loader's include-path resolution so we load exactly the tree
// grpc-js-xds loads. The module path is internal but stable across 0.7/0.8.
interface ProtoLoaderUtil {
  loadProtosWithOptionsSync(files: string[], options: { keepCase: boolean; includeDirs: string[] }): protobuf.Root;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const util = require('@grpc/proto-loader/build/src/util.js') as ProtoLoaderUtil;

/** The protobufjs root holding every message we emit or serve (loaded once). */
export function protoRoot(): protobuf.Root {
  if (!root) {
    root = util.loadProtosWithOptionsSync([...ENVOY_PROTO_FILES, ...OWN_PROTO_FILES], {
      keepCase: true,
      includeDirs: [...envoyIncludeDirs(), ownProtoDir()],
    });
  }
  return root;
}

const types = new Map<string, protobuf.Type>();

/** Looks up a message type by its fully-qualified name; throws naming it if absent. */
export function messageType(fullName: string): protobuf.Type {
  let t = types.get(fullName);
  if (!t) {
    const found = protoRoot().lookup(fullName);
    if (!(found instanceof protobuf.Type)) {
      throw new Error(`proto message ${fullName} is not in the loaded proto tree (see src/envoy/proto-files.json)`);
    }
    t = found;
    types.set(fullName, t);
  }
  return t;
}

/** Loaded message type for a type URL, or undefined. */
export function typeForUrl(typeUrl: string): protobuf.Type | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  try {
    return messageType(name);
  } catch {
    return undefined;
  }
}
