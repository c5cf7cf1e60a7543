// The waypoint translator: a waypoint's IR and the Envoy listeners, clusters,
// routes, endpoints and secrets built from it (istiod builds a waypoint's
// configuration in pilot/pkg/networking/core/: listener_waypoint.go,
// cluster_waypoint.go, waypoint.go). This file only re-exports.
export * from './waypoint-ir';
export * from './waypoint-labels';
export * from './resources';
export * from './listeners';
export * from './listener-filters';
export * from './clusters';
export * from './cluster-bytes';
export * from './cluster-bytes-fixed';
export * from './cluster-defaults';
export * from './cluster-policy';
export * from './cluster-tls';
export * from './cluster-vip';
export * from './routes';
export * from './endpoints';
export * from './chain-filters';
export * from './hcm-defaults';
export * from './accesslog';
export * from './istio-extensions';
export * from './matcher';
export * from './locality-assignment';
export * from './locality-lb';
export * from './secrets';
export * from './service-entries';
export * from './service-entry-clusters';
export * from './service-entry-destination';
export * from './service-entry-ir';
export * from './destination-ir';
export * from './destination-rules';
export * from './destination-routes';
export * from './outbound-policy';
export * from './outbound-subsets';
export * from './hash-policy';
