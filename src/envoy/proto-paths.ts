import { dirname, join } from 'node:path';

// Resolve the include directories of the proto tree inside @grpc/grpc-js-xds.
// The package does not export its deps/ folder, so we locate it through its
// package.json, which is always resolvable.
export function envoyIncludeDirs(): string[] {
  const pkg = require.resolve('@grpc/grpc-js-xds/package.json');
  const deps = join(dirname(pkg), 'deps');
  return [join(deps, 'envoy-api'), join(deps, 'xds'), join(deps, 'googleapis'), join(deps, 'protoc-gen-validate')];
}

// Our own proto directory, found relative to this file in both src/ and dist/.
export function ownProtoDir(): string {
  return join(__dirname, '..', '..', '..', 'proto');
}
