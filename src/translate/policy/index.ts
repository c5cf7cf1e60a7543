// Policies attached to what a waypoint serves: which policies target it
// (targetRefs), authorization and authentication as RBAC and JWT filters
// (istiod's pilot/pkg/security/authz/builder/ and pilot/pkg/security/authn/),
// Telemetry (pilot/pkg/model/telemetry.go) and backend policies. This file
// only re-exports.
export * from './authn';
export * from './authz';
export * from './jwt';
export * from './peer-authentication';
export * from './rbac';
export * from './rbac-generators';
export * from './rbac-matchers';
export * from './targeting';
export * from './trust-domain';
export * from './telemetry';
export * from './telemetry-chain';
export * from './telemetry-providers';
export * from './backend-policies';
