// The workload API ztunnel reads: Address (workloads and services) and
// Authorization resources (istiod builds them in pilot/pkg/serviceregistry/ambient/
// and pilot/pkg/xds/workload.go). This file only re-exports.
export * from './workload-api';
export * from './workload-api-view';
export * from './ztunnel-authz';
export * from './ip-bytes';
export * from './selecting-services';
