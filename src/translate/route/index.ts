// Routes shared by what a waypoint serves: Gateway API HTTPRoute, GRPCRoute,
// TCPRoute and TLSRoute (istiod converts them in
// pilot/pkg/config/kube/gateway/conversion.go), VirtualServices and their
// delegates (pilot/pkg/networking/core/route/), and the backends they name.
// This file only re-exports.
export * from './http-routes';
export * from './tcp-routes';
export * from './backends';
export * from './hostname-backends';
export * from './route-attach';
export * from './route-backend-host';
export * from './route-policies';
export * from './route-precedence';
export * from './vs-delegate';
export * from './vs-destination';
export * from './vs-envoy';
export * from './vs-export';
export * from './vs-http';
export * from './vs-l4';
export * from './vs-routes';
export * from './vs-select';
