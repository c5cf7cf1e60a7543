// Status conditions the translation decides for its inputs: Gateway, route
// and policy conditions (istiod's pilot/pkg/config/kube/gateway/ and
// pilot/pkg/model/status/), and the objects Envoy would refuse. This file only
// re-exports.
export * from './status';
export * from './statuses';
export * from './status-tracker';
export * from './status-rejections';
export * from './refused-status';
export * from './rejections';
