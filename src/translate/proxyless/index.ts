// Proxyless gRPC: the xDS a gRPC client without a sidecar reads (istiod builds
// it in pilot/pkg/networking/grpcgen/). This file only re-exports.
export * from './proxyless';
export * from './proxyless-builder';
export * from './proxyless-tls';
