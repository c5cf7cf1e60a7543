// grpc-js-xds reads its feature flags when it is first loaded: import this first.
process.env.GRPC_XDS_EXPERIMENTAL_RBAC = 'true';
