export { SnapshotCache, type CacheChange, type ResourceMap } from './cache';
export { XdsServer, DEFAULT_LIMITS, type XdsServerOptions, type XdsLimits, type ListenOptions } from './server';
export {
  AuthError,
  CertificateAuthenticator,
  TokenReviewAuthenticator,
  spiffeUri,
  type Authenticator,
  type Identity,
  type TokenReviewer,
  type TokenReviewStatus,
} from './auth';
export { namespaceAccess, namespaceMismatch, type AccessPolicy, type DebugScope } from './access';
export { XdsMetrics } from './metrics';
export { parseNode, keyByNodeId, type ProxyInfo, type ProxyKeyFn } from './node';
export { DEFAULT_DEBOUNCE, type DebounceOptions } from './push-queue';
export type { SyncStatus } from './type-state';
export { DEFAULT_WRITE_BUDGET, WriteBudget, type WriteBudgetOptions, type WriteGrant } from './write-budget';
export { PushHistory, type PushRecord, type ConvergenceSample } from './push-history';
